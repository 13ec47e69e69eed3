package org.haven.node.admin;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.locks.ReentrantLock;

import org.haven.api.ApiException;
import org.haven.api.ApiRegistry;
import org.haven.api.NodeContext;
import org.haven.api.SpecMethods;
import org.haven.backup.notify.Notification;
import org.haven.backup.notify.Notifier;
import org.haven.node.Version;
import org.haven.storage.spi.CommandRunner;

/**
 * PVE's {@code /nodes/{node}/apt}: the upgradable packages, {@code apt-get update} as an {@code aptupdate} task
 * (with a notification of new packages, once per package version), changelogs, versions of Haven and the Debian
 * packages it runs on, and the APT repository files.
 */
final class AptApi {
    private static final SpecMethods SPEC = SpecMethods.load(AptApi.class, "node-host.json", descriptions());
    private static final String A = "/nodes/{node}/apt";

    private final NodeContext ctx;
    private final Apt apt;
    private final CommandRunner runner;
    private final ReentrantLock lock = new ReentrantLock();

    AptApi(NodeContext ctx, Apt apt, CommandRunner runner) {
        this.ctx = ctx;
        this.apt = apt;
        this.runner = runner;
    }

    private static Map<String, String> descriptions() {
        Map<String, String> d = new LinkedHashMap<>();
        d.put("node", "The cluster node name.");
        d.put("notify", "Send a notification about new packages (once per package version).");
        d.put("quiet", "Only log what is fit for a log: no progress output.");
        d.put("name", "Package name.");
        d.put("version", "Package version.");
        d.put("digest", "Refuse the change if the repository files changed since this digest was read.");
        d.put("path", "Path of the repository file.");
        d.put("index", "Index of the repository within its file.");
        d.put("enabled", "Whether the repository is to be enabled.");
        d.put("handle", "Handle of a standard repository.");
        return d;
    }

    void register(ApiRegistry reg) {
        SPEC.add(reg, "GET", A, "Directory index for apt (Advanced Package Tool).", (p, rc) ->
                List.of("changelog", "repositories", "update", "versions").stream().map(id -> Map.of("id", id)).toList());
        SPEC.add(reg, "GET", A + "/update", "List the available package updates.", (p, rc) -> withNotifyStatus(apt.upgradable()));
        SPEC.add(reg, "POST", A + "/update", "Resynchronize the package index files from their sources (apt-get update).",
                (p, rc) -> ctx.tasks().start("aptupdate", null, rc.authid(), log -> update(p.bool("quiet", false), p.bool("notify", false), log::log)));
        SPEC.add(reg, "GET", A + "/changelog", "Get the package changelog.", (p, rc) -> {
            try {
                return apt.changelog(p.str("name"), p.str("version", null));
            } catch (IllegalArgumentException | IllegalStateException e) {
                throw ApiException.error(e.getMessage());
            }
        });
        SPEC.add(reg, "GET", A + "/versions", "Get the versions of Haven and the packages it uses.", (p, rc) -> versions());
        SPEC.add(reg, "GET", A + "/repositories", "Get the APT repository information.", (p, rc) -> repositories());
        SPEC.add(reg, "POST", A + "/repositories", "Change the properties of a repository.", (p, rc) -> locked(() -> {
            Apt.Repositories repos = checked(p.str("digest", null));
            AptSources.File file = repos.files().stream().filter(f -> f.path().equals(p.str("path"))).findFirst()
                    .orElseThrow(() -> ApiException.error("unable to find file '" + p.str("path") + "'"));
            if (!p.has("enabled")) return;
            try {
                apt.write(AptSources.setEnabled(file, p.integer("index"), p.bool("enabled", true)));
            } catch (IllegalArgumentException e) {
                throw ApiException.error(e.getMessage());
            }
        }));
        SPEC.add(reg, "PUT", A + "/repositories", "Add a standard repository to the configuration.", (p, rc) -> locked(() -> addStandard(p.str("handle"), p.str("digest", null))));
    }

    private Object locked(Runnable r) {
        lock.lock();
        try {
            r.run();
            return null;
        } finally {
            lock.unlock();
        }
    }

    private Apt.Repositories checked(String digest) {
        Apt.Repositories repos = apt.repositories();
        if (digest != null && !digest.equals(repos.digest())) throw ApiException.error(HostApi.MODIFIED);
        return repos;
    }

    Map<String, Object> repositories() {
        Apt.Repositories repos = apt.repositories();
        String codename = apt.codename();
        Map<String, Object> out = new LinkedHashMap<>();
        List<Map<String, Object>> files = new ArrayList<>();
        for (AptSources.File f : repos.files()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("path", f.path());
            m.put("file-type", f.fileType());
            m.put("repositories", f.repos().stream().map(AptSources.Repo::json).toList());
            List<Integer> digest = new ArrayList<>();
            for (byte b : AptSources.digest(f.text())) digest.add(b & 0xff);
            m.put("digest", digest);
            files.add(m);
        }
        out.put("files", files);
        out.put("errors", repos.errors().entrySet().stream().map(e -> Map.of("path", e.getKey(), "error", e.getValue())).toList());
        out.put("digest", repos.digest());
        out.put("infos", AptSources.infos(repos.files(), codename));
        out.put("standard-repos", AptSources.standardRepos(repos.files(), codename));
        return out;
    }

    /**
     * PVE's {@code add_repository}: a standard repository already configured is enabled where it is disabled;
     * otherwise it goes to {@code sources.list.d/<handle>.list}.
     */
    private void addStandard(String handle, String digest) {
        AptSources.Standard s;
        try {
            s = AptSources.standard(handle);
        } catch (IllegalArgumentException e) {
            throw ApiException.error(e.getMessage());
        }
        String codename = apt.codename();
        if (codename == null) throw ApiException.error("unable to tell the release of the node (no VERSION_CODENAME in /etc/os-release)");
        Apt.Repositories repos = checked(digest);
        for (AptSources.File f : repos.files()) {
            for (int i = 0; i < f.repos().size(); i++) {
                AptSources.Repo r = f.repos().get(i);
                if (!AptSources.matches(r, s, codename)) continue;
                if (r.enabled()) throw ApiException.error("repository '" + handle + "' is already configured and enabled in " + f.path());
                apt.write(AptSources.setEnabled(f, i, true));
                return;
            }
        }
        String path = apt.display(apt.etcApt().resolve("sources.list.d").resolve(handle + ".list"));
        AptSources.File file = repos.files().stream().filter(f -> f.path().equals(path)).findFirst()
                .orElse(AptSources.parse(path, ""));
        apt.write(AptSources.append(file, "deb", s.uri(), s.suite(codename), s.components(), null));
    }

    // ---- update ------------------------------------------------------------------------------------------------

    /** PVE's {@code update_database}: {@code apt-get update} (through datacenter.cfg's http_proxy), then the new list. */
    private void update(boolean quiet, boolean notify, java.util.function.Consumer<String> log) {
        List<String> options = new ArrayList<>();
        String proxy = httpProxy(ctx.cfs());
        if (proxy != null) options.add("Acquire::http::Proxy=" + proxy);
        List<String> cmd = apt.aptCommand("apt-get", options, "update");
        if (quiet) cmd.add(1, "-q");
        if (!quiet) log.accept("starting apt-get update");
        CommandRunner.Result r = runner.run(cmd);
        for (String line : (r.stdout() + r.stderr()).split("\n")) if (!line.isBlank() && (!quiet || line.startsWith("E:") || line.startsWith("W:"))) log.accept(line);
        if (!r.ok()) throw new IllegalStateException("command '" + String.join(" ", cmd) + "' failed: exit code " + r.exitCode());
        List<Map<String, Object>> updates = apt.upgradable();
        if (notify) notifyNew(updates, log);
    }

    /** The {@code http_proxy} of datacenter.cfg, or null. */
    static String httpProxy(org.haven.core.cfs.ClusterFs cfs) {
        for (String line : cfs.readString("datacenter.cfg").orElse("").split("\n")) {
            if (line.startsWith("http_proxy:")) return line.substring(11).strip();
        }
        return null;
    }

    private Path notifiedFile() { return ctx.dataDir().resolve("apt-notified"); }

    /** The versions a notification was sent for, by package. */
    private Map<String, String> notified() {
        Map<String, String> out = new TreeMap<>();
        try {
            for (String line : Files.readAllLines(notifiedFile(), StandardCharsets.UTF_8)) {
                String[] w = line.split(" ");
                if (w.length == 2) out.put(w[0], w[1]);
            }
        } catch (java.nio.file.NoSuchFileException e) {
            // none yet
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    private List<Map<String, Object>> withNotifyStatus(List<Map<String, Object>> updates) {
        Map<String, String> sent = notified();
        for (Map<String, Object> u : updates) if (sent.containsKey(u.get("Package"))) u.put("NotifyStatus", sent.get(u.get("Package")));
        return updates;
    }

    private void notifyNew(List<Map<String, Object>> updates, java.util.function.Consumer<String> log) {
        Map<String, String> sent = notified();
        List<Map<String, Object>> fresh = updates.stream().filter(u -> !u.get("Version").equals(sent.get(u.get("Package")))).toList();
        if (fresh.isEmpty()) return;
        StringBuilder text = new StringBuilder("The following updates are available:\n\n");
        for (Map<String, Object> u : fresh) {
            text.append(String.format("%-30s %-20s %s%n", u.get("Package"), u.get("OldVersion"), u.get("Version")));
            sent.put((String) u.get("Package"), (String) u.get("Version"));
        }
        String node = ctx.nodeName();
        Notifier.of(ctx.cfs(), node, ZoneId.systemDefault()).notify(new Notification(Notification.Severity.INFO,
                "New software packages available (" + node + ")", text.toString(),
                Map.of("type", "package-updates", "hostname", node), ctx.clock().epochSeconds()), log);
        StringBuilder b = new StringBuilder();
        sent.forEach((k, v) -> b.append(k).append(' ').append(v).append('\n'));
        try {
            Files.createDirectories(notifiedFile().getParent());
            Files.writeString(notifiedFile(), b.toString(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // ---- versions ----------------------------------------------------------------------------------------------

    /**
     * Haven first (with the running kernel and the API version, as PVE's {@code proxmox-ve} entry), then the
     * packages of {@link Apt#VERSION_PACKAGES}: installed ones with their version, the others as not installed.
     */
    private List<Map<String, Object>> versions() {
        List<Map<String, Object>> out = new ArrayList<>();
        Map<String, Object> haven = new LinkedHashMap<>();
        haven.put("Package", "haven");
        haven.put("Title", "The Haven cluster manager");
        haven.put("Version", Version.VERSION);
        haven.put("CurrentState", "Installed");
        haven.put("ManagerVersion", Version.VERSION + "/" + Version.repoid());
        haven.put("RunningKernel", kernel());
        out.add(haven);
        Map<String, Map<String, String>> inst = apt.installed(Apt.VERSION_PACKAGES);
        for (String pkg : Apt.VERSION_PACKAGES) {
            Map<String, String> f = inst.get(pkg);
            boolean installed = f != null && f.getOrDefault("Status", "").endsWith(" installed");
            Map<String, Object> e;
            if (installed) {
                e = Apt.entry(f, null);
                e.put("OldVersion", f.get("Version"));
                e.put("CurrentState", "Installed");
            } else {
                e = new LinkedHashMap<>();
                e.put("Package", pkg);
                e.put("CurrentState", f == null ? "NotInstalled" : "ConfigFiles");
            }
            out.add(e);
        }
        return out;
    }

    private String kernel() {
        try {
            return Files.readString(Path.of("/proc/sys/kernel/osrelease")).strip();
        } catch (IOException e) {
            return System.getProperty("os.version");
        }
    }
}
