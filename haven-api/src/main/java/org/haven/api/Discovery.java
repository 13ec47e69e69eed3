package org.haven.api;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.function.Consumer;

/** {@link ServiceLoader} that skips providers that fail to load instead of failing altogether. */
public final class Discovery {
    private Discovery() {}

    public static <T> List<T> load(Class<T> type, Consumer<Throwable> onError) {
        List<T> out = new ArrayList<>();
        Iterator<T> it = ServiceLoader.load(type).iterator();
        for (int guard = 0; guard < 10_000; guard++) {
            try {
                if (!it.hasNext()) break;
                out.add(it.next());
            } catch (ServiceConfigurationError | LinkageError e) {
                onError.accept(e);
            }
        }
        return out;
    }
}
