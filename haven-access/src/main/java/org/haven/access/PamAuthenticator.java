package org.haven.access;

/** Authenticates a system account through the PAM stack. */
public interface PamAuthenticator {

    /**
     * Run {@code pam_authenticate} and {@code pam_acct_mgmt} for {@code user} with service {@code service};
     * throws {@link AuthenticationException} with PAM's error text on failure.
     */
    void authenticate(String service, String user, String password, String rhost);

    /**
     * The PAM service of the {@code pam} realm: the system property {@code haven.pam.service} when set, else
     * PVE's {@code proxmox-ve-auth} when installed, else {@code other}.
     */
    static String defaultService() {
        String configured = System.getProperty("haven.pam.service");
        if (configured != null && !configured.isBlank()) return configured;
        if (java.nio.file.Files.exists(java.nio.file.Path.of("/etc/pam.d/proxmox-ve-auth"))) return "proxmox-ve-auth";
        return "other";
    }

    /**
     * The native implementation (libpam through the foreign function API). It is compiled for a newer class-file
     * level than the rest of the module, hence the reflective lookup.
     */
    static PamAuthenticator system() {
        try {
            return (PamAuthenticator) Class.forName("org.haven.access.pam.FfmPam").getDeclaredConstructor().newInstance();
        } catch (ReflectiveOperationException | LinkageError e) {
            return (service, user, password, rhost) -> {
                throw new AuthenticationException("PAM is not available: " + e);
            };
        }
    }
}
