package dev.vigil.starter.schedule;

import java.util.List;
import java.util.Optional;

/**
 * Where the schedules as last applied are kept (the catalog's {@code vigil.schedule}), so the API,
 * the metrics and {@code schedules list} need no vigil.yaml.
 */
public interface ScheduleStore {
  /** Inserts or replaces the row of {@code schedule.definition().name()}. */
  void upsert(StoredSchedule schedule);

  /** Every row, by name. */
  List<StoredSchedule> all();

  /** The row named {@code name}. */
  default Optional<StoredSchedule> find(String name) {
    return all().stream().filter(row -> row.definition().name().equals(name)).findFirst();
  }

  /** Removes the row named {@code name}, if any. */
  void delete(String name);
}
