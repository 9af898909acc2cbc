package dev.vigil.activities.wal;

import dev.vigil.activities.store.ListedObject;
import dev.vigil.activities.store.ObjectStore;
import java.lang.reflect.Proxy;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * A store that only lists the WAL archive of source {@code appdb} under prefix {@code prod}: the
 * given WAL file names, the i-th of size {@code 100 + i} written at second {@code 1000 + i}.
 */
public final class WalListing {
  private WalListing() {}

  public static ObjectStore of(List<String> names) {
    return (ObjectStore)
        Proxy.newProxyInstance(
            ObjectStore.class.getClassLoader(),
            new Class<?>[] {ObjectStore.class},
            (proxy, method, args) ->
                switch (method.getName()) {
                  case "key" -> "prod/" + args[0];
                  case "listObjects" -> {
                    if (!"prod/appdb/wal/".equals(args[0])) {
                      throw new AssertionError("listed " + args[0]);
                    }
                    List<ListedObject> objects = new ArrayList<>();
                    for (int i = 0; i < names.size(); i++) {
                      String name = names.get(i);
                      objects.add(
                          new ListedObject(
                              "prod/appdb/wal/" + name.substring(0, 8) + "/" + name + ".vgl",
                              100 + i,
                              Instant.ofEpochSecond(1_000 + i)));
                    }
                    yield objects;
                  }
                  default -> throw new UnsupportedOperationException(method.getName());
                });
  }
}
