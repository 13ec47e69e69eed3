package org.haven.ha;

/** Result codes of resource agent commands, as exchanged between LRM and manager. */
public final class ExitCode {
    private ExitCode() {}
    public static final int SUCCESS = 0;
    public static final int ERROR = 1;
    public static final int ETRY_AGAIN = 2;
    public static final int EWRONG_NODE = 3;
    public static final int EUNKNOWN_SERVICE_TYPE = 4;
    public static final int EUNKNOWN_COMMAND = 5;
    public static final int EINVALID_PARAMETER = 6;
    public static final int EUNKNOWN_SERVICE = 7;
    public static final int IGNORED = 8;
}
