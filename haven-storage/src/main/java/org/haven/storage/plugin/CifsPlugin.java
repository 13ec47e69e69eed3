package org.haven.storage.plugin;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.haven.storage.StorageException;
import org.haven.storage.config.StorageEntry;
import org.haven.storage.config.StorageType;
import org.haven.storage.spi.PluginContext;

/** CIFS/SMB: a directory storage on {@code //server/share[/subdir]}, mounted with {@code mount -t cifs}. */
public class CifsPlugin extends MountedDirPlugin {

    public CifsPlugin(PluginContext ctx) { super(ctx, StorageType.CIFS); }

    @Override
    protected String mountSource(StorageEntry s) {
        String subdir = s.get("subdir").orElse("");
        return "//" + bracketIpv6(s.require("server")) + "/" + s.require("share") + subdir;
    }

    @Override
    protected List<String> mountCommand(StorageEntry s, Path mp) {
        List<String> cmd = new ArrayList<>(List.of("mount", "-t", "cifs", mountSource(s), mp.toString(), "-o", "soft", "-o"));
        Optional<String> pw = ctx.secret(s.id(), "password");
        if (pw.isPresent() && s.get("username").isPresent()) {
            Path cred = SecretFiles.write(s.id() + ".cred", "password=" + pw.get() + "\n");
            cmd.add("username=" + s.require("username"));
            cmd.add("-o");
            cmd.add("credentials=" + cred);
            s.get("domain").ifPresent(d -> { cmd.add("-o"); cmd.add("domain=" + d); });
        } else {
            cmd.add("guest,username=guest");
        }
        String ver = s.get("smbversion").orElse("default");
        cmd.add("-o");
        cmd.add("vers=" + ver);
        s.get("options").filter(o -> !o.isEmpty()).ifPresent(o -> { cmd.add("-o"); cmd.add(o); });
        return cmd;
    }

    @Override
    protected void checkConnection(StorageEntry s) {
        List<String> cmd = new ArrayList<>(List.of("smbclient", "//" + s.require("server") + "/IPC$", "-d", "0", "-m", "smb3"));
        Optional<String> pw = ctx.secret(s.id(), "password");
        if (pw.isPresent() && s.get("username").isPresent()) {
            cmd.addAll(List.of("-U", s.require("username"), "-A",
                    SecretFiles.write(s.id() + ".auth", "username=" + s.require("username") + "\npassword=" + pw.get() + "\n").toString()));
            s.get("domain").ifPresent(d -> { cmd.add("-W"); cmd.add(d); });
        } else {
            cmd.add("-N");
        }
        cmd.addAll(List.of("-c", "echo 1 0"));
        if (!run.run(cmd).ok()) throw new StorageException("storage '" + s.id() + "' is not online");
    }
}
