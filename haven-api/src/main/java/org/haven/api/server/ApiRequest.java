package org.haven.api.server;

import java.util.Map;
import org.haven.api.HttpMethod;

/**
 * A request as the dispatcher sees it, independent of the transport.
 *
 * @param path          API path without the {@code /api2/<format>} prefix
 * @param params        query and body parameters (String, or List of String for repeated keys, or JSON values)
 * @param ticket        value of the {@code PVEAuthCookie} cookie, or null
 * @param csrfToken     value of the {@code CSRFPreventionToken} header, or null
 * @param authorization value of the {@code Authorization} header, or null
 * @param local         came over the root-only Unix socket (caller is root@pam)
 * @param remote        client address
 */
public record ApiRequest(HttpMethod method, String path, Map<String, Object> params, String ticket, String csrfToken,
                         String authorization, boolean local, String remote) {}
