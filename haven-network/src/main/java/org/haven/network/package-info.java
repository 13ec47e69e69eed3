/** Host networking: the {@code /etc/network/interfaces} model and its apply, {@code /nodes/{node}/network}, SDN. */
package org.haven.network;
