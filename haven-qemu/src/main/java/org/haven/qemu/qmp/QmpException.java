package org.haven.qemu.qmp;

/** A QMP or guest agent command failed; the message reads like PVE's ("VM 100 qmp command 'cont' failed - …"). */
public class QmpException extends RuntimeException {
    private final String command;
    private final String errorClass;

    public QmpException(String command, String message) { this(command, message, ""); }

    public QmpException(String command, String message, String errorClass) {
        super(message);
        this.command = command;
        this.errorClass = errorClass;
    }

    public String command() { return command; }
    /** QEMU's error class ({@code GenericError}, {@code CommandNotFound}, …), empty for transport errors. */
    public String errorClass() { return errorClass; }
}
