/**
 * The REST framework of a Haven node: PVE's {@code /api2/json} API declared method by method.
 *
 * <h2>Contributing API methods from a module</h2>
 * <ol>
 * <li>Depend on {@code haven-api} and implement {@link org.haven.api.ApiModule}; take what the module needs from
 * other modules in its constructor:
 * <pre>{@code
 * public final class StorageApi implements ApiModule {
 *     private final StorageManager sm;
 *
 *     public StorageApi(StorageManager sm) { this.sm = sm; }   // made once by the daemon, shared with the guest modules
 *
 *     public void register(ApiRegistry reg, NodeContext ctx) {
 *         reg.add(ApiMethod.get("/storage")
 *             .name("index").description("Storage index.")
 *             .param("type", Schema.string().optional().enumValues("dir", "lvm", "lvmthin"))
 *             .returns(Schema.array(Schema.object().property("storage", Schema.string())))
 *             .permissions(Permission.all("Only list entries where you have 'Datastore.Audit' or 'Datastore.AllocateSpace' permissions on '/storage/<storage>'"))
 *             .handler((p, rc) -> sm.list(p.opt("type"), rc))
 *             .build());
 *         reg.add(ApiMethod.post("/nodes/{node}/storage/{storage}/content")
 *             .name("create").param("node", StandardOptions.node()).param("storage", StandardOptions.storageId())
 *             .permissions(Permission.perm("/storage/{storage}", "Datastore.AllocateSpace"))
 *             .proxyto("node").protect()
 *             .returns(Schema.string())
 *             .handler((p, rc) -> rc.startTask("imgcreate", p.str("storage"), log -> { log.log("creating …"); }))
 *             .build());
 *         reg.addResources(rc -> sm.resourceEntries(rc));   // entries for GET /cluster/resources
 *     }
 * }
 * }</pre></li>
 * <li>Create it in {@code haven-node}'s {@code NodeModules}, the daemon's one composition root, after the services it
 * takes: {@code new StorageApi(storage)}. The daemon and {@code haven apidump} build their modules there.</li>
 * </ol>
 *
 * <p>Use PVE's paths, method names and parameter names/types (see {@code pve-api-8.4.json}); shared
 * parameter schemas are in {@link org.haven.core.schema.StandardOptions}, named formats in
 * {@link org.haven.core.schema.Formats} (register your own there, e.g. property-string formats).
 *
 * <p>What the framework does for every method: route by path and HTTP method ({@code 501} for an unknown
 * method, index listings for directories without their own GET), authenticate (ticket cookie
 * {@code PVEAuthCookie} + {@code CSRFPreventionToken} header for writes, or
 * {@code Authorization: PVEAPIToken=…}; {@code root@pam} on the local Unix socket), check
 * {@link org.haven.api.Permission}s, validate and coerce parameters against the schema (400 with
 * {@code {"data":null,"errors":{param:msg}}}), proxy to another node when {@code proxyto} names one, call
 * the {@link org.haven.api.Handler}, and wrap the result as {@code {"data":…}}.
 *
 * <p>Errors from handlers: throw {@link org.haven.api.ApiException} for a status (403, 404, 500 …),
 * {@link org.haven.core.schema.ParamException} (or {@code ApiException.param(name, msg)}) for 400 field
 * errors; any other exception becomes a 500 with its message.
 *
 * <p>Long work: {@code return rc.startTask(type, id, log -> …)} returns the UPID at once; the worker runs on
 * a virtual thread, writes its log through {@link org.haven.api.task.TaskLog}, and ends {@code OK} or with
 * the exception's message.
 *
 * <p>Results: Java booleans are written as {@code 1}/{@code 0} like PVE's Perl API (return a Jackson
 * {@code BooleanNode} for a literal JSON boolean); {@code rc.setResultAttribute("total", n)} adds
 * top-level attributes beside {@code data}; return a {@link org.haven.api.RawResult} to send bytes as they
 * are (downloads).
 *
 * <p>Node-wide services the daemon hands to the modules that need them: {@link org.haven.api.server.ApiTree} (the
 * registered methods), {@code org.haven.access.AccessControl} and {@link org.haven.api.server.HttpExtensions} (raw
 * Jetty handlers consulted before the API router: web UI, websockets, downloads).
 *
 * <h2>Contributing a CLI tool</h2>
 * Implement {@link org.haven.api.cli.CliTool} (list it in
 * {@code META-INF/services/org.haven.api.cli.CliTool}) with one {@link org.haven.api.cli.CliCommand} per
 * subcommand, bound to an API method: its options come from the method's schema. Add {@code bin/<tool>}:
 * <pre>{@code
 * #!/bin/sh
 * exec "$(dirname "$0")/haven-tool" qm "$@"
 * }</pre>
 */
package org.haven.api;
