package org.haven.access.pam;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.charset.StandardCharsets;
import org.haven.access.AuthenticationException;
import org.haven.access.PamAuthenticator;

/**
 * libpam binding through the foreign function API: {@code pam_start} with a conversation callback that answers
 * every prompt with the password, then {@code pam_authenticate}, {@code pam_acct_mgmt} and {@code pam_end}.
 */
public final class FfmPam implements PamAuthenticator {
    private static final int PAM_SUCCESS = 0;
    private static final int PAM_RHOST = 4;
    private static final int PAM_PROMPT_ECHO_OFF = 1;
    private static final int PAM_PROMPT_ECHO_ON = 2;
    private static final int PAM_CONV_ERR = 19;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup PAM = SymbolLookup.libraryLookup("libpam.so.0", Arena.global());
    private static final SymbolLookup LIBC = LINKER.defaultLookup();

    private static final MethodHandle PAM_START = pam("pam_start", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS));
    private static final MethodHandle PAM_AUTHENTICATE = pam("pam_authenticate", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle PAM_ACCT_MGMT = pam("pam_acct_mgmt", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle PAM_END = pam("pam_end", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle PAM_SET_ITEM = pam("pam_set_item", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS));
    private static final MethodHandle PAM_STRERROR = pam("pam_strerror", FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_INT));
    private static final MethodHandle CALLOC = LINKER.downcallHandle(LIBC.find("calloc").orElseThrow(),
            FunctionDescriptor.of(ADDRESS, JAVA_LONG, JAVA_LONG));
    private static final MethodHandle STRDUP = LINKER.downcallHandle(LIBC.find("strdup").orElseThrow(),
            FunctionDescriptor.of(ADDRESS, ADDRESS));

    private static final FunctionDescriptor CONV_DESC = FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, ADDRESS);
    private static final MethodHandle CONV_TARGET;

    static {
        try {
            CONV_TARGET = MethodHandles.lookup().findStatic(FfmPam.class, "converse",
                    MethodType.methodType(int.class, MemorySegment.class, int.class, MemorySegment.class, MemorySegment.class, MemorySegment.class));
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private static MethodHandle pam(String name, FunctionDescriptor d) {
        return LINKER.downcallHandle(PAM.find(name).orElseThrow(() -> new UnsatisfiedLinkError(name)), d);
    }

    /** Conversation: answer echo-off and echo-on prompts with the password held by {@code password}. */
    private static int converse(MemorySegment password, int numMsg, MemorySegment msg, MemorySegment resp, MemorySegment appdata) {
        try {
            if (numMsg <= 0 || numMsg > 32) return PAM_CONV_ERR;
            MemorySegment msgs = msg.reinterpret(ADDRESS.byteSize() * numMsg);
            MemorySegment replies = (MemorySegment) CALLOC.invokeExact((long) numMsg, 16L);
            if (replies.equals(MemorySegment.NULL)) return PAM_CONV_ERR;
            replies = replies.reinterpret(16L * numMsg);
            for (int i = 0; i < numMsg; i++) {
                MemorySegment m = msgs.getAtIndex(ADDRESS, i).reinterpret(16);
                int style = m.get(JAVA_INT, 0);
                if (style == PAM_PROMPT_ECHO_OFF || style == PAM_PROMPT_ECHO_ON) {
                    MemorySegment dup = (MemorySegment) STRDUP.invokeExact(password);
                    replies.set(ADDRESS, 16L * i, dup);
                }
            }
            resp.reinterpret(ADDRESS.byteSize()).set(ADDRESS, 0, replies);
            return PAM_SUCCESS;
        } catch (Throwable t) {
            return PAM_CONV_ERR;
        }
    }

    @Override
    public void authenticate(String service, String user, String password, String rhost) {
        if (user == null || user.isEmpty() || password == null) throw new AuthenticationException("no password");
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment pw = arena.allocateFrom(password, StandardCharsets.UTF_8);
            MethodHandle bound = MethodHandles.insertArguments(CONV_TARGET, 0, pw);
            MemorySegment stub = LINKER.upcallStub(bound, CONV_DESC, arena);
            MemorySegment conv = arena.allocate(16);
            conv.set(ADDRESS, 0, stub);
            conv.set(ADDRESS, 8, MemorySegment.NULL);
            MemorySegment handleOut = arena.allocate(ADDRESS);
            int rc = (int) PAM_START.invokeExact(arena.allocateFrom(service), arena.allocateFrom(user, StandardCharsets.UTF_8), conv, handleOut);
            if (rc != PAM_SUCCESS) throw new AuthenticationException("error during PAM init: " + rc);
            MemorySegment h = handleOut.get(ADDRESS, 0);
            int status = PAM_SUCCESS;
            try {
                if (rhost != null) {
                    int r = (int) PAM_SET_ITEM.invokeExact(h, PAM_RHOST, arena.allocateFrom(rhost));
                    if (r != PAM_SUCCESS) { status = r; throw new AuthenticationException("error setting PAM_RHOST: " + error(h, r)); }
                }
                status = (int) PAM_AUTHENTICATE.invokeExact(h, 0);
                if (status != PAM_SUCCESS) throw new AuthenticationException("PAM auth failed: " + error(h, status));
                status = (int) PAM_ACCT_MGMT.invokeExact(h, 0);
                if (status != PAM_SUCCESS) throw new AuthenticationException("PAM auth failed: " + error(h, status));
            } finally {
                int ignored = (int) PAM_END.invokeExact(h, status);
            }
        } catch (AuthenticationException e) {
            throw e;
        } catch (Throwable t) {
            throw new AuthenticationException("PAM error: " + t, t);
        }
    }

    private static String error(MemorySegment h, int code) {
        try {
            MemorySegment s = (MemorySegment) PAM_STRERROR.invokeExact(h, code);
            return s.equals(MemorySegment.NULL) ? ("error " + code) : s.reinterpret(1024).getString(0);
        } catch (Throwable t) {
            return "error " + code;
        }
    }
}
