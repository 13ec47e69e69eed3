package org.haven.web;

import java.nio.file.Path;
import org.haven.api.ApiModule;
import org.haven.api.ApiRegistry;
import org.haven.api.NodeContext;
import org.haven.api.server.HttpExtensions;

/**
 * Adds the web UI's static file handler to the node's HTTPS server. The system property
 * {@code haven.web.dir} serves the files from a directory instead of the class path.
 */
public final class WebUiModule implements ApiModule {
    private final HttpExtensions http;

    /** The web UI served by the handlers of {@code http}. */
    public WebUiModule(HttpExtensions http) { this.http = http; }

    @Override
    public String name() { return "web"; }

    @Override
    public void register(ApiRegistry registry, NodeContext ctx) {
        String dir = System.getProperty("haven.web.dir");
        StaticFiles files = dir != null && !dir.isBlank()
                ? new StaticFiles(Path.of(dir).toAbsolutePath().normalize())
                : new StaticFiles(WebUiModule.class.getClassLoader(), "www");
        http.add(new WebUiHandler(files));
    }
}
