/** Linux containers: the {@code lxc} guest type, {@code pct}, {@code /nodes/{node}/lxc} and the distribution setup. */
package org.haven.lxc;
