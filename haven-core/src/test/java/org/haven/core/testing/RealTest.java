package org.haven.core.testing;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.Tag;

/**
 * Tags a test class or method {@code real}: it runs real tools (QEMU, LXC, LVM, btrfs, nft, slapd, tgt, samba, …).
 * A test without a tag counts as {@code unit} (pure, no real tools); {@link E2eTest} marks tests of several daemons.
 */
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@Tag("real")
public @interface RealTest {}
