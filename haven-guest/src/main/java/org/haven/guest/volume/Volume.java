package org.haven.guest.volume;

/** A volume as a guest runtime uses it: the file or block device, and its format ({@code raw}, {@code qcow2}, …). */
public record Volume(String path, String format) {}
