package org.haven.storage.plugin;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.haven.storage.config.StorageEntry;
import org.haven.storage.config.StorageType;
import org.haven.storage.spi.PluginContext;

/** CephFS: mounted with the kernel client ({@code mount -t ceph}) or {@code ceph-fuse} when {@code fuse} is set. */
public class CephFsPlugin extends MountedDirPlugin {

    public CephFsPlugin(PluginContext ctx) { super(ctx, StorageType.CEPHFS); }

    private static String subdir(StorageEntry s) { return s.get("subdir").orElse("/"); }

    private static String monhost(StorageEntry s) {
        return String.join(",", s.get("monhost").orElse("").trim().split("[,;\\s]+"));
    }

    @Override
    protected String mountSource(StorageEntry s) {
        if (s.flag("fuse", false)) return "ceph-fuse";
        return monhost(s) + ":" + subdir(s);
    }

    @Override
    protected List<String> mountCommand(StorageEntry s, Path mp) {
        String user = s.get("username").orElse("admin");
        Optional<String> secret = ctx.secret(s.id(), "keyring");
        List<String> cmd = new ArrayList<>();
        if (s.flag("fuse", false)) {
            cmd.addAll(List.of("ceph-fuse", "-n", "client." + user));
            if (!monhost(s).isEmpty()) { cmd.add("-m"); cmd.add(monhost(s)); }
            secret.ifPresent(k -> { cmd.add("--keyring"); cmd.add(SecretFiles.write(s.id() + ".keyring", k).toString()); });
            s.get("fs-name").ifPresent(f -> { cmd.add("--client_fs"); cmd.add(f); });
            cmd.addAll(List.of("-r", subdir(s), mp.toString()));
        } else {
            cmd.addAll(List.of("mount", "-t", "ceph", mountSource(s), mp.toString()));
            StringBuilder o = new StringBuilder("name=" + user);
            secret.ifPresent(k -> o.append(",secretfile=").append(SecretFiles.write(s.id() + ".secret", extractKey(k))));
            s.get("fs-name").ifPresent(f -> o.append(",fs=").append(f));
            s.get("options").filter(x -> !x.isEmpty()).ifPresent(x -> o.append(',').append(x));
            cmd.addAll(List.of("-o", o.toString()));
        }
        return cmd;
    }

    /** The bare key from a keyring ({@code key = AQ…}) or the secret itself. */
    static String extractKey(String keyring) {
        for (String line : keyring.split("\n")) {
            var m = java.util.regex.Pattern.compile("\\s*key\\s*=\\s*(\\S+)\\s*").matcher(line);
            if (m.matches()) return m.group(1);
        }
        return keyring.strip();
    }
}
