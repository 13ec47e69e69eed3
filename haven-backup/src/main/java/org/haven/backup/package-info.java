/** Backup and restore: {@code vzdump}, VMA and tar archives, restore, backup jobs and retention. */
package org.haven.backup;
