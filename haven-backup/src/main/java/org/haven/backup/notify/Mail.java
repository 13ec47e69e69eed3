package org.haven.backup.notify;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.Base64;
import java.util.List;
import java.util.UUID;

/**
 * A notification as an RFC 5322 mail, as both mail targets send it: the plain text body, or with an HTML body a
 * {@code multipart/alternative} of both (each UTF-8, base64). Pure: the part boundary is derived from the content.
 */
public record Mail(String from, String author, List<String> to, String subject, String body, String html, long date) {

    /** The message text with CRLF line ends, without the SMTP dot-stuffing. */
    public String render() {
        StringBuilder sb = new StringBuilder();
        sb.append("From: ").append(encodeWord(author)).append(" <").append(from).append(">\r\n");
        sb.append("To: ").append(String.join(", ", to)).append("\r\n");
        sb.append("Subject: ").append(encodeWord(subject)).append("\r\n");
        sb.append("Date: ").append(DateTimeFormatter.RFC_1123_DATE_TIME.format(Instant.ofEpochSecond(date).atZone(ZoneId.of("UTC")))).append("\r\n");
        sb.append("Auto-Submitted: auto-generated;\r\n");
        sb.append("MIME-Version: 1.0\r\n");
        if (html == null) return part(sb, "text/plain", body).toString();
        String boundary = "----_=_NextPart_" + UUID.nameUUIDFromBytes((body + "\0" + html).getBytes(StandardCharsets.UTF_8)).toString().replace("-", "");
        sb.append("Content-Type: multipart/alternative; boundary=\"").append(boundary).append("\"\r\n\r\n");
        sb.append("--").append(boundary).append("\r\n");
        part(sb, "text/plain", body);
        sb.append("--").append(boundary).append("\r\n");
        part(sb, "text/html", html);
        return sb.append("--").append(boundary).append("--\r\n").toString();
    }

    /** A part's headers and base64 body (76-character lines). */
    private static StringBuilder part(StringBuilder sb, String type, String text) {
        sb.append("Content-Type: ").append(type).append("; charset=utf-8\r\n");
        sb.append("Content-Transfer-Encoding: base64\r\n\r\n");
        String b64 = Base64.getMimeEncoder(76, "\r\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(text.getBytes(StandardCharsets.UTF_8));
        return sb.append(b64).append("\r\n");
    }

    /** An RFC 2047 encoded word for non-ASCII header text; ASCII text stays as it is. */
    static String encodeWord(String s) {
        if (s.chars().allMatch(c -> c >= 0x20 && c < 0x7f)) return s;
        return "=?utf-8?B?" + Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8)) + "?=";
    }
}
