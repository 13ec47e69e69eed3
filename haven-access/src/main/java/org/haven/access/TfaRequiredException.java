package org.haven.access;

/**
 * The password was right but the user has second factors: the login must continue with PVE's two-step flow.
 * {@link #partialTicket()} is the {@code PVE:!tfa!…} ticket to hand to the client (with {@code NeedTFA: 1}).
 */
public class TfaRequiredException extends AuthenticationException {
    private final String userid;
    private final String partialTicket;

    public TfaRequiredException(String userid, String partialTicket) {
        super("second factor required");
        this.userid = userid;
        this.partialTicket = partialTicket;
    }

    public String userid() { return userid; }
    public String partialTicket() { return partialTicket; }
}
