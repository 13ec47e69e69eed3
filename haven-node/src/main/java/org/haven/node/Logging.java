package org.haven.node;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.FileAppender;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Adds the daemon's log file (and in system mode the journal) next to the console output configured in {@code logback.xml}. */
final class Logging {
    private Logging() {}

    static void addFileAppender(Path file) {
        if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext lc)) return;
        PatternLayoutEncoder enc = new PatternLayoutEncoder();
        enc.setContext(lc);
        enc.setPattern("%d{yyyy-MM-dd HH:mm:ss.SSS} %-5level [%thread] %logger{20}: %msg%n");
        enc.start();
        FileAppender<ILoggingEvent> fa = new FileAppender<>();
        fa.setContext(lc);
        fa.setName("file");
        fa.setFile(file.toString());
        fa.setAppend(true);
        fa.setEncoder(enc);
        fa.start();
        lc.getLogger(Logger.ROOT_LOGGER_NAME).addAppender(fa);
    }

    /** The HA daemons' messages also go to the journal (system mode, where it runs), as PVE's pve-ha-crm and pve-ha-lrm. */
    static void addJournalAppender() {
        if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext lc) || !JournalAppender.available()) return;
        JournalAppender ja = new JournalAppender(JournalAppender::systemdCat);
        ja.setContext(lc);
        ja.setName("journal");
        ja.start();
        for (String name : JournalAppender.LOGGERS) lc.getLogger(name).addAppender(ja);
    }
}
