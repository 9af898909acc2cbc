package dev.vigil.infra.deploy;

import static dev.vigil.infra.deploy.YamlTree.list;
import static dev.vigil.infra.deploy.YamlTree.map;
import static dev.vigil.infra.deploy.YamlTree.stringMap;

import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Reads rendered NetworkPolicies the way Kubernetes applies them: which pods a policy selects,
 * which ports it lets in, and whether it lets a pod reach an endpoint vigil.yaml names.
 */
final class NetworkPolicies {
  private NetworkPolicies() {}

  /** Where a pod connects: a host name from vigil.yaml and a TCP port. */
  record Endpoint(String host, int port) {
    boolean inCluster() {
      return host.endsWith(".svc") || host.contains(".svc.");
    }
  }

  /** Whether {@code policy} applies to the pods of {@code workload}, for traffic both ways. */
  static boolean selects(Map<String, Object> policy, Map<String, Object> workload) {
    Map<String, Object> spec = map(policy.get("spec"));
    Map<String, String> selector = stringMap(map(spec.get("podSelector")).get("matchLabels"));
    return !selector.isEmpty()
        && Rendered.podLabels(workload).entrySet().containsAll(selector.entrySet())
        && list(spec.get("policyTypes")).containsAll(List.of("Ingress", "Egress"));
  }

  /** The ports {@code policy} lets in to the pods of {@code workload}; -1 for "every port". */
  static Set<Integer> ingressPorts(Map<String, Object> policy, Map<String, Object> workload) {
    Map<String, Integer> named = Rendered.namedPorts(workload);
    Set<Integer> open = new TreeSet<>();
    for (Object rule : list(map(policy.get("spec")).get("ingress"))) {
      List<Object> ports = list(map(rule).get("ports"));
      if (ports.isEmpty()) {
        open.add(-1);
      }
      for (Object port : ports) {
        Object number = map(port).get("port");
        open.add(number instanceof Integer n ? n : named.getOrDefault(number, -2));
      }
    }
    return open;
  }

  /** Whether the policy lets its pods ask the cluster DNS, over UDP and TCP. */
  static boolean reachesDns(Map<String, Object> policy) {
    for (Object rule : list(map(policy.get("spec")).get("egress"))) {
      boolean toDns =
          list(map(rule).get("to")).stream()
              .map(peer -> stringMap(map(map(peer).get("podSelector")).get("matchLabels")))
              .anyMatch(labels -> "kube-dns".equals(labels.get("k8s-app")));
      if (toDns && allowsPort(rule, 53, "UDP") && allowsPort(rule, 53, "TCP")) {
        return true;
      }
    }
    return false;
  }

  /**
   * Whether the policy lets its pods open a TCP connection to {@code endpoint}: a rule allows the
   * port, towards every namespace of the cluster for a {@code .svc} host, towards every address
   * otherwise.
   */
  static boolean reaches(Map<String, Object> policy, Endpoint endpoint) {
    for (Object rule : list(map(policy.get("spec")).get("egress"))) {
      if (allowsPort(rule, endpoint.port(), "TCP") && peersCover(rule, endpoint)) {
        return true;
      }
    }
    return false;
  }

  private static boolean allowsPort(Object rule, int number, String protocol) {
    List<Object> ports = list(map(rule).get("ports"));
    return ports.isEmpty()
        || ports.stream()
            .map(YamlTree::map)
            .anyMatch(
                port ->
                    Integer.valueOf(number).equals(port.get("port"))
                        && protocol.equals(port.getOrDefault("protocol", "TCP")));
  }

  private static boolean peersCover(Object rule, Endpoint endpoint) {
    List<Object> peers = list(map(rule).get("to"));
    if (peers.isEmpty()) {
      return true;
    }
    for (Object entry : peers) {
      Map<String, Object> peer = map(entry);
      boolean everyNamespace =
          peer.containsKey("namespaceSelector")
              && map(peer.get("namespaceSelector")).isEmpty()
              && !peer.containsKey("podSelector");
      Map<String, Object> block = map(peer.get("ipBlock"));
      boolean everyAddress =
          "0.0.0.0/0".equals(block.get("cidr")) && list(block.get("except")).isEmpty();
      if (endpoint.inCluster() ? everyNamespace : everyAddress) {
        return true;
      }
    }
    return false;
  }

  /** {@code host:port}, as in {@code temporal.target}. */
  static Endpoint endpoint(Object target) {
    String text = String.valueOf(target);
    int colon = text.lastIndexOf(':');
    return new Endpoint(text.substring(0, colon), Integer.parseInt(text.substring(colon + 1)));
  }

  /** The server of a {@code jdbc:postgresql://host:port/db} URL. */
  static Endpoint jdbcEndpoint(String url) {
    URI uri = URI.create(url.substring("jdbc:".length()));
    return new Endpoint(uri.getHost(), uri.getPort() < 0 ? 5432 : uri.getPort());
  }

  /** The server a source of vigil.yaml is dumped from, on its type's default port. */
  static Endpoint sourceEndpoint(Map<String, Object> source) {
    int fallback =
        switch (String.valueOf(source.get("type"))) {
          case "postgres" -> 5432;
          case "redis" -> 6379;
          case "mongodb" -> 27017;
          default -> throw new AssertionError("no network endpoint known for source " + source);
        };
    Object port = source.get("port");
    return new Endpoint(
        (String) source.get("host"), port == null ? fallback : ((Number) port).intValue());
  }

  /** The object store of a repository: its endpoint URL, or AWS S3 in its region over HTTPS. */
  static Endpoint storeEndpoint(Map<String, Object> repository) {
    Object endpoint = repository.get("endpoint");
    if (endpoint == null) {
      return new Endpoint("s3." + repository.get("region") + ".amazonaws.com", 443);
    }
    URI uri = URI.create(String.valueOf(endpoint));
    int port = uri.getPort() >= 0 ? uri.getPort() : "http".equals(uri.getScheme()) ? 80 : 443;
    return new Endpoint(uri.getHost(), port);
  }
}
