package org.haven.guest.migrate;

import java.io.InputStream;
import java.util.Optional;
import java.util.function.Supplier;

import org.eclipse.jetty.util.Fields;
import org.haven.storage.StorageManager;
import org.haven.storage.spi.ExportFormat;

/**
 * The receiving end of a disk copied by an offline migration or a replication run (PVE pipes {@code pvesm export}
 * into {@code pvesm import} over SSH): {@code PUT /haven/migration/import-volume?volume=<volid>&format=<fmt>&with-snapshots=0|1}
 * {@code [&snapshot=<snap>&base=<snap>&allow-rename=0|1]} with the export stream as body, for root@pam only.
 * Answers {@code {"data":"<volid written>"}}; unless {@code allow-rename=0}, a name already taken on this node gets
 * the next free one.
 */
public final class VolumeImportHandler extends PeerHandler {
    public static final String PATH = "/haven/migration/import-volume";

    private final Supplier<Optional<StorageManager>> storage;

    public VolumeImportHandler(Supplier<Optional<StorageManager>> storage, Supplier<Optional<Credentials>> access) {
        super(PATH, access);
        this.storage = storage;
    }

    @Override
    protected String serve(Fields q, InputStream in) {
        String volume = q.getValue("volume");
        Optional<ExportFormat> format = ExportFormat.of(String.valueOf(q.getValue("format")));
        boolean withSnapshots = "1".equals(q.getValue("with-snapshots"));
        boolean allowRename = !"0".equals(q.getValue("allow-rename"));
        if (volume == null || format.isEmpty()) throw new Refused(400, "volume and format are required");
        StorageManager sm = storage.get().orElseThrow(() -> new Refused(500, "no storage on this node"));
        return sm.importVolume(volume, format.get(), q.getValue("snapshot"), q.getValue("base"), withSnapshots, allowRename, in);
    }
}
