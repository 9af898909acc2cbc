package dev.vigil.activities.check;

import dev.vigil.activities.cas.ChunkCatalog;
import dev.vigil.activities.config.Sizes;
import dev.vigil.activities.store.ListedObject;
import dev.vigil.activities.store.ObjectStore;
import dev.vigil.activities.store.OpenUpload;
import dev.vigil.activities.store.StoredObject;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;

/**
 * The catalog against the repositories: every ARCHIVED backup's data object and manifest is stored
 * with the recorded size, every recorded set manifest is stored, and every stored object under a
 * repository's prefix belongs to a backup the catalog knows (WAL and row archives have checks of
 * their own and are left out). With {@code readData}, each archived backup is also read back
 * through {@link DataVerifier}, a bounded number at a time.
 *
 * <p>The stores are listed <em>before</em> the catalog is read: a backup's row is written (RUNNING)
 * before its first upload, so an object that appears in a listing always finds its row. What the
 * listing misses (written while it ran) is asked for by key before it is called missing, and an
 * object called orphaned is asked for again, so a prune in flight is not reported.
 */
final class ObjectCheck {
  /** The label of problems that belong to no one source (set manifests, foreign objects). */
  static final String NO_SOURCE = "-";

  private final Function<String, ObjectStore> stores;
  private final Collection<String> repositories;
  private final Map<String, String> sourceRepositories;
  private final CheckCatalog catalog;
  private final DataVerifier verifier;
  private final ChunkCatalog chunks;

  /**
   * @param stores the store of a configured repository
   * @param repositories the configured repositories
   * @param sourceRepositories each configured source's repository
   */
  ObjectCheck(
      Function<String, ObjectStore> stores,
      Collection<String> repositories,
      Map<String, String> sourceRepositories,
      CheckCatalog catalog,
      DataVerifier verifier,
      ChunkCatalog chunks) {
    this.stores = stores;
    this.repositories = List.copyOf(repositories);
    this.sourceRepositories = Map.copyOf(sourceRepositories);
    this.catalog = catalog;
    this.verifier = verifier;
    this.chunks = chunks;
  }

  /** What one repository held when it was listed. */
  private record Listing(
      ObjectStore store, Map<String, ListedObject> objects, List<OpenUpload> uploads) {}

  /** One source's (or {@link #NO_SOURCE}'s) findings while the check runs. */
  private static final class Tally {
    final List<CheckProblem> problems = new ArrayList<>();
    final List<CheckProblem> dataProblems = new ArrayList<>();
    final List<String> notes = new ArrayList<>();
    final Set<String> repositories = new LinkedHashSet<>();
    int backups;
    int objects;
    long bytes;
    int read;
    int notRead;
    long bytesRead;
  }

  /**
   * Runs the check over {@code sources} (every source and set when empty).
   *
   * @param parallel how many backups are read back at once with {@code readData}
   */
  ObjectReport run(List<String> sources, boolean readData, int parallel) {
    boolean all = sources.isEmpty();
    Map<String, Listing> listings = list(sources);
    Map<String, CheckCatalog.Backup> backups = catalog.backups();
    Map<String, CheckCatalog.BackupSet> sets = all ? catalog.sets() : Map.of();
    Map<String, Map<String, CheckCatalog.CopyClaim>> copies = catalog.copies();
    // Packs are read from the catalog after the listing too: a pack in the listing has its row.
    Map<String, List<ChunkCatalog.Pack>> packs = chunks.packsByBackup();
    Map<String, String> knownPacks = chunks.packStates();
    Set<String> packsCounted = new java.util.HashSet<>();
    Map<String, Tally> tallies = new TreeMap<>();
    for (String source : all ? sourceRepositories.keySet() : sources) {
      tallies.put(source, new Tally());
    }

    List<CheckCatalog.Backup> toRead = new ArrayList<>();
    for (CheckCatalog.Backup backup : backups.values()) {
      if ((!all && !sources.contains(backup.source())) || !"ARCHIVED".equals(backup.status())) {
        continue;
      }
      Tally tally = tallies.computeIfAbsent(backup.source(), source -> new Tally());
      tally.backups++;
      if (expectBackup(backup, listings, tally)) {
        toRead.add(backup);
      }
      expectPacks(
          backup, packs.getOrDefault(backup.backupId(), List.of()), listings, tally, packsCounted);
    }
    int setManifests = 0;
    List<String[]> setsToRead = new ArrayList<>();
    Tally setTally = new Tally();
    for (CheckCatalog.BackupSet set : sets.values()) {
      if (set.manifestKey() == null) {
        continue;
      }
      for (String repository : set.repositories()) {
        if (!repositories.contains(repository)) {
          continue;
        }
        ObjectStore store = stores.apply(repository);
        String key = store.key("sets/" + set.setId() + ".json");
        setManifests++;
        Optional<Long> size = size(store, listings.get(repository), key);
        if (size.isEmpty()) {
          setTally.problems.add(
              new CheckProblem(
                  CheckProblem.MISSING,
                  NO_SOURCE,
                  set.setId(),
                  key,
                  "backup set "
                      + set.setId()
                      + ": manifest "
                      + key
                      + " is missing from repository '"
                      + repository
                      + "' (bucket "
                      + store.bucket()
                      + "); the backups are restorable from the catalog, but a catalog rebuild"
                      + " from this repository will not know the set"));
        } else {
          setTally.objects++;
          setTally.bytes += size.get();
          setsToRead.add(new String[] {repository, set.setId(), key});
        }
      }
    }

    for (Map.Entry<String, Listing> entry : listings.entrySet()) {
      orphans(
          entry.getKey(),
          entry.getValue(),
          backups,
          sets,
          copies.getOrDefault(entry.getKey(), Map.of()),
          knownPacks,
          all,
          tallies,
          setTally);
    }

    if (readData) {
      readBack(toRead, packs, parallel, tallies);
      for (String[] set : setsToRead) {
        verifier.set(stores.apply(set[0]), set[1], set[2]).ifPresent(setTally.dataProblems::add);
      }
    }
    return report(tallies, setTally, setManifests, readData, all);
  }

  /** Lists every repository (or each chosen source's folder) with its open uploads. */
  private Map<String, Listing> list(List<String> sources) {
    Map<String, List<String>> prefixes = new LinkedHashMap<>();
    if (sources.isEmpty()) {
      for (String repository : repositories) {
        prefixes.put(repository, List.of(stores.apply(repository).key("")));
      }
    } else {
      for (String source : sources) {
        String repository = sourceRepositories.get(source);
        prefixes
            .computeIfAbsent(repository, name -> new ArrayList<>())
            .add(stores.apply(repository).key(source) + "/");
      }
    }
    Map<String, Listing> listings = new LinkedHashMap<>();
    prefixes.forEach(
        (repository, keyPrefixes) -> {
          ObjectStore store = stores.apply(repository);
          Map<String, ListedObject> objects = new LinkedHashMap<>();
          List<OpenUpload> uploads = new ArrayList<>();
          for (String prefix : keyPrefixes) {
            store.listObjects(prefix).forEach(object -> objects.put(object.key(), object));
            uploads.addAll(store.openUploads(prefix));
          }
          listings.put(repository, new Listing(store, objects, uploads));
        });
    return listings;
  }

  /** Checks an ARCHIVED backup's objects; true when its data object is there to be read. */
  private boolean expectBackup(
      CheckCatalog.Backup backup, Map<String, Listing> listings, Tally tally) {
    String where = backup.source() + ": backup " + backup.backupId() + ": ";
    if (!repositories.contains(backup.repository())) {
      tally.problems.add(
          new CheckProblem(
              CheckProblem.UNREADABLE,
              backup.source(),
              backup.backupId(),
              backup.objectKey(),
              where
                  + "its repository '"
                  + backup.repository()
                  + "' is not in the config, so its objects cannot be checked; add the"
                  + " repository to the config"));
      return false;
    }
    ObjectStore store = stores.apply(backup.repository());
    tally.repositories.add(backup.repository());
    if (backup.bucket() != null && !backup.bucket().equals(store.bucket())) {
      tally.problems.add(
          new CheckProblem(
              CheckProblem.MISSING,
              backup.source(),
              backup.backupId(),
              backup.objectKey(),
              where
                  + "the catalog has it in bucket "
                  + backup.bucket()
                  + " but repository '"
                  + backup.repository()
                  + "' now points at bucket "
                  + store.bucket()
                  + "; point the repository back at "
                  + backup.bucket()
                  + " to check and restore it"));
      return false;
    }
    Listing listing = listings.get(backup.repository());
    boolean data =
        expect(
            store, listing, backup, backup.objectKey(), "data object", backup.dataBytes(), tally);
    if (backup.manifestKey() != null) {
      expect(store, listing, backup, backup.manifestKey(), "manifest", -1, tally);
    }
    return data;
  }

  /**
   * Checks the packs a chunked backup needs: each stored with its recorded size (a pack holds the
   * chunks the catalog lists for it, and the backup's snapshot names no chunk outside them). Packs
   * shared by several backups count once in the totals, but each backup needing a missing one is
   * named.
   */
  private void expectPacks(
      CheckCatalog.Backup backup,
      List<ChunkCatalog.Pack> packs,
      Map<String, Listing> listings,
      Tally tally,
      Set<String> counted) {
    if (packs.isEmpty() || !repositories.contains(backup.repository())) {
      return;
    }
    ObjectStore store = stores.apply(backup.repository());
    Listing listing = listings.get(backup.repository());
    String where = backup.source() + ": backup " + backup.backupId() + ": ";
    for (ChunkCatalog.Pack pack : packs) {
      Optional<Long> size = size(store, listing, pack.key());
      if (size.isEmpty()) {
        tally.problems.add(
            new CheckProblem(
                CheckProblem.MISSING,
                backup.source(),
                backup.backupId(),
                pack.key(),
                where
                    + "pack "
                    + pack.key()
                    + " (chunks of this backup) is missing from repository '"
                    + store.repository()
                    + "' (bucket "
                    + store.bucket()
                    + ") although the catalog has the backup ARCHIVED; it cannot be restored:"
                    + " restore another backup, and take a new one with `vigil backup --source "
                    + backup.source()
                    + "`"));
        continue;
      }
      if (counted.add(pack.key())) {
        tally.objects++;
        tally.bytes += size.get();
      }
      if (size.get() != pack.size()) {
        tally.problems.add(
            new CheckProblem(
                CheckProblem.SIZE_MISMATCH,
                backup.source(),
                backup.backupId(),
                pack.key(),
                where
                    + "pack "
                    + pack.key()
                    + " is "
                    + size.get()
                    + " bytes in repository '"
                    + store.repository()
                    + "' where the catalog recorded "
                    + pack.size()
                    + " (truncated or replaced); it cannot be restored: restore another backup,"
                    + " and take a new one with `vigil backup --source "
                    + backup.source()
                    + "`"));
      }
    }
  }

  private boolean expect(
      ObjectStore store,
      Listing listing,
      CheckCatalog.Backup backup,
      String key,
      String what,
      long recorded,
      Tally tally) {
    String where = backup.source() + ": backup " + backup.backupId() + ": ";
    Optional<Long> size = size(store, listing, key);
    if (size.isEmpty()) {
      tally.problems.add(
          new CheckProblem(
              CheckProblem.MISSING,
              backup.source(),
              backup.backupId(),
              key,
              where
                  + what
                  + " "
                  + key
                  + " is missing from repository '"
                  + store.repository()
                  + "' (bucket "
                  + store.bucket()
                  + ") although the catalog has the backup ARCHIVED; it cannot be restored:"
                  + " restore another backup, and take a new one with `vigil backup --source "
                  + backup.source()
                  + "`"));
      return false;
    }
    tally.objects++;
    tally.bytes += size.get();
    if (recorded >= 0 && size.get() != recorded) {
      tally.problems.add(
          new CheckProblem(
              CheckProblem.SIZE_MISMATCH,
              backup.source(),
              backup.backupId(),
              key,
              where
                  + what
                  + " "
                  + key
                  + " is "
                  + size.get()
                  + " bytes in repository '"
                  + store.repository()
                  + "' where the catalog recorded "
                  + recorded
                  + " (truncated or replaced); it cannot be restored: restore another backup,"
                  + " and take a new one with `vigil backup --source "
                  + backup.source()
                  + "`"));
    }
    return true;
  }

  /** The object's size from the listing, else from a HEAD (written while the listing ran). */
  private static Optional<Long> size(ObjectStore store, Listing listing, String key) {
    ListedObject listed = listing == null ? null : listing.objects().get(key);
    if (listed != null) {
      return Optional.of(listed.size());
    }
    return store.head(key).map(StoredObject::size);
  }

  private void orphans(
      String repository,
      Listing listing,
      Map<String, CheckCatalog.Backup> backups,
      Map<String, CheckCatalog.BackupSet> sets,
      Map<String, CheckCatalog.CopyClaim> copied,
      Map<String, String> knownPacks,
      boolean all,
      Map<String, Tally> tallies,
      Tally setTally) {
    ObjectStore store = listing.store();
    String root = store.key("");
    for (ListedObject object : listing.objects().values()) {
      Owner owner = owner(store, root, object.key(), backups, sets, copied, knownPacks);
      if (owner.why() == null || store.head(object.key()).isEmpty()) {
        // Accounted for, or deleted since the listing (a prune in flight).
        continue;
      }
      Tally tally =
          owner.source().equals(NO_SOURCE) && owner.set()
              ? setTally
              : tallies.computeIfAbsent(owner.source(), source -> new Tally());
      tally.problems.add(
          new CheckProblem(
              CheckProblem.ORPHAN,
              owner.source(),
              owner.backupId(),
              object.key(),
              (owner.source().equals(NO_SOURCE) ? "" : owner.source() + ": ")
                  + object.key()
                  + " ("
                  + object.size()
                  + " bytes, written "
                  + object.lastModified()
                  + ") in repository '"
                  + repository
                  + "' "
                  + owner.why()
                  + "; it only costs storage: delete it (aws s3 rm s3://"
                  + store.bucket()
                  + "/"
                  + object.key()
                  + ") unless something other than Vigil owns it"));
    }
    for (OpenUpload upload : listing.uploads()) {
      Owner owner = owner(store, root, upload.key(), backups, sets, copied, knownPacks);
      if (owner.running()
          || store.openUploads(upload.key()).stream()
              .noneMatch(open -> open.uploadId().equals(upload.uploadId()))) {
        // A running backup's upload, or one finished or aborted since the listing.
        continue;
      }
      Tally tally = tallies.computeIfAbsent(owner.source(), source -> new Tally());
      tally.problems.add(
          new CheckProblem(
              CheckProblem.INCOMPLETE_UPLOAD,
              owner.source(),
              owner.backupId(),
              upload.key(),
              (owner.source().equals(NO_SOURCE) ? "" : owner.source() + ": ")
                  + "incomplete multipart upload of "
                  + upload.key()
                  + " in repository '"
                  + repository
                  + "' (upload id "
                  + upload.uploadId()
                  + ") that no running backup will finish; its parts are billed: abort it"
                  + " (aws s3api abort-multipart-upload --bucket "
                  + store.bucket()
                  + " --key "
                  + upload.key()
                  + " --upload-id "
                  + upload.uploadId()
                  + "), or let a lifecycle rule (AbortIncompleteMultipartUpload) do it"));
    }
  }

  /**
   * Whom a stored key belongs to.
   *
   * @param why null when a catalog row accounts for it, else why it is an orphan
   * @param running whether a backup still running (or being pruned) owns it
   * @param set whether it lies among the set manifests
   */
  private record Owner(String source, String backupId, String why, boolean running, boolean set) {
    static Owner accounted(String source, String backupId, boolean running) {
      return new Owner(source, backupId, null, running, false);
    }
  }

  private static Owner owner(
      ObjectStore store,
      String root,
      String key,
      Map<String, CheckCatalog.Backup> backups,
      Map<String, CheckCatalog.BackupSet> sets,
      Map<String, CheckCatalog.CopyClaim> copied,
      Map<String, String> knownPacks) {
    CheckCatalog.CopyClaim copy = copied.get(key);
    if (copy != null) {
      // A copy of a backup or set manifest of another repository, kept under its original key.
      return Owner.accounted(copy.source(), copy.itemId(), false);
    }
    String relative = key.startsWith(root) ? key.substring(root.length()) : key;
    String[] parts = relative.split("/", -1);
    if (parts.length == 2 && parts[0].equals("sets")) {
      String setId = parts[1].endsWith(".json") ? parts[1].substring(0, parts[1].length() - 5) : "";
      return sets.containsKey(setId)
          ? new Owner(NO_SOURCE, setId, null, false, true)
          : new Owner(
              NO_SOURCE,
              setId.isEmpty() ? null : setId,
              "is not the manifest of a backup set in the catalog",
              false,
              true);
    }
    if (parts.length < 2) {
      return new Owner(
          NO_SOURCE, null, "is not a Vigil object (outside every source's folder)", false, false);
    }
    String source = parts[0];
    if (parts[1].equals("wal") || parts[1].equals("rows")) {
      // Archived WAL (the WAL check covers it) and archived table rows.
      return Owner.accounted(source, null, false);
    }
    if (parts[1].equals("packs")) {
      // A chunked source's packs: the catalog knows each one from before its upload.
      String state = knownPacks.get(key);
      return state != null
          ? Owner.accounted(source, null, !"LIVE".equals(state))
          : new Owner(
              source,
              null,
              "is a pack the catalog does not know (left by a crash between its upload and the"
                  + " catalog, or written by something else)",
              false,
              false);
    }
    String backupId = parts[1];
    CheckCatalog.Backup backup = backups.get(backupId);
    if (parts.length < 3 || backup == null || !backup.source().equals(source)) {
      return new Owner(
          source,
          parts.length < 3 ? null : backupId,
          parts.length < 3
              ? "is not a Vigil backup object"
              : "has no catalog row (backup "
                  + backupId
                  + " is unknown: left by a crash between"
                  + " upload and catalog, or written by something else)",
          false,
          false);
    }
    if (!backup.repository().equals(store.repository())) {
      return new Owner(
          source,
          backupId,
          "belongs to backup "
              + backupId
              + ", which the catalog has in repository '"
              + backup.repository()
              + "'",
          false,
          false);
    }
    return switch (backup.status()) {
      case "RUNNING", "PRUNING" -> Owner.accounted(source, backupId, true);
      case "ARCHIVED" ->
          key.equals(backup.objectKey())
                  || key.equals(backup.manifestKey())
                  || key.equals(backup.hotObjectKey())
                  || key.equals(store.key(source + "/" + backupId + "/cold/data.vgl"))
              ? Owner.accounted(source, backupId, false)
              : new Owner(
                  source,
                  backupId,
                  "is not one of backup " + backupId + "'s objects",
                  false,
                  false);
      default ->
          new Owner(
              source,
              backupId,
              "belongs to backup "
                  + backupId
                  + ", which is "
                  + backup.status()
                  + " in the catalog, so no restore uses it",
              false,
              false);
    };
  }

  private void readBack(
      List<CheckCatalog.Backup> backups,
      Map<String, List<ChunkCatalog.Pack>> packs,
      int parallel,
      Map<String, Tally> tallies) {
    ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, parallel), daemon());
    try {
      List<Future<DataVerifier.Verdict>> verdicts = new ArrayList<>();
      for (CheckCatalog.Backup backup : backups) {
        ObjectStore store = stores.apply(backup.repository());
        List<ChunkCatalog.Pack> needed = packs.getOrDefault(backup.backupId(), List.of());
        verdicts.add(pool.submit(() -> verifier.backup(store, backup, true, needed)));
      }
      for (int i = 0; i < backups.size(); i++) {
        Tally tally = tallies.get(backups.get(i).source());
        DataVerifier.Verdict verdict = verdicts.get(i).get();
        tally.dataProblems.addAll(verdict.problems());
        tally.notes.add(verdict.note());
        tally.bytesRead += verdict.bytesRead();
        if (verdict.read()) {
          tally.read++;
        } else {
          tally.notRead++;
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("the check was interrupted", e);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException runtime) {
        throw runtime;
      }
      throw new IllegalStateException(e.getCause());
    } finally {
      pool.shutdownNow();
    }
  }

  private static java.util.concurrent.ThreadFactory daemon() {
    return runnable -> {
      Thread thread = new Thread(runnable, "vigil-check-read");
      thread.setDaemon(true);
      return thread;
    };
  }

  private static ObjectReport report(
      Map<String, Tally> tallies, Tally setTally, int setManifests, boolean readData, boolean all) {
    List<CheckResult> results = new ArrayList<>();
    int backups = 0;
    int objects = 0;
    long bytes = 0;
    int read = 0;
    int notRead = 0;
    long bytesRead = 0;
    Tally foreign = tallies.remove(NO_SOURCE);
    for (Map.Entry<String, Tally> entry : tallies.entrySet()) {
      String source = entry.getKey();
      Tally tally = entry.getValue();
      backups += tally.backups;
      objects += tally.objects;
      bytes += tally.bytes;
      results.add(
          new CheckResult(
              source,
              "objects",
              List.copyOf(tally.problems),
              List.of(),
              source
                  + ": "
                  + count(tally.backups, "archived backup")
                  + ", "
                  + count(tally.objects, "object")
                  + " ("
                  + Sizes.format(tally.bytes)
                  + ")"
                  + (tally.repositories.isEmpty()
                      ? ""
                      : " in " + repositoryNames(tally.repositories))
                  + " with their recorded sizes, nothing else stored"));
      if (readData) {
        read += tally.read;
        notRead += tally.notRead;
        bytesRead += tally.bytesRead;
        results.add(
            new CheckResult(
                source,
                "data",
                List.copyOf(tally.dataProblems),
                List.copyOf(tally.notes),
                source
                    + ": "
                    + count(tally.read, "backup")
                    + " read back ("
                    + Sizes.format(tally.bytesRead)
                    + "), each matching its SHA-256 and decrypting with the configured key"
                    + (tally.notRead > 0 ? "; " + tally.notRead + " not read (cold)" : "")));
      }
    }
    if (foreign != null && !foreign.problems.isEmpty()) {
      results.add(
          new CheckResult(NO_SOURCE, "objects", List.copyOf(foreign.problems), List.of(), null));
    }
    List<CheckProblem> setProblems = new ArrayList<>(setTally.problems);
    setProblems.addAll(setTally.dataProblems);
    // Without any set (backups run one source at a time) the line would only say "0".
    if (all && (setManifests > 0 || !setProblems.isEmpty())) {
      objects += setTally.objects;
      bytes += setTally.bytes;
      results.add(
          new CheckResult(
              NO_SOURCE,
              "sets",
              List.copyOf(setProblems),
              List.of(),
              "backup sets: "
                  + count(setManifests, "set manifest")
                  + " stored"
                  + (readData ? ", each with its HMAC" : "")));
    }
    return new ObjectReport(
        List.copyOf(results), backups, objects, bytes, setManifests, read, notRead, bytesRead);
  }

  private static String repositoryNames(Set<String> repositories) {
    List<String> quoted = repositories.stream().map(name -> "'" + name + "'").toList();
    return (quoted.size() == 1 ? "repository " : "repositories ") + String.join(", ", quoted);
  }

  static String count(long n, String noun) {
    return n + " " + noun + (n == 1 ? "" : "s");
  }
}
