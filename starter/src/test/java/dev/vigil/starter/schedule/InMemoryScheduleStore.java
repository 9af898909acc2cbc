package dev.vigil.starter.schedule;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** A {@link ScheduleStore} in a map, for tests without a catalog. */
final class InMemoryScheduleStore implements ScheduleStore {
  private final Map<String, StoredSchedule> rows = new TreeMap<>();

  @Override
  public synchronized void upsert(StoredSchedule schedule) {
    rows.put(schedule.definition().name(), schedule);
  }

  @Override
  public synchronized List<StoredSchedule> all() {
    return new ArrayList<>(rows.values());
  }

  @Override
  public synchronized void delete(String name) {
    rows.remove(name);
  }
}
