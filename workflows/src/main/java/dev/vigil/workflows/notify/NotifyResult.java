package dev.vigil.workflows.notify;

import java.util.List;

/**
 * What the notifier did.
 *
 * @param delivered deliveries a channel accepted
 * @param failures one line per delivery that gave up: {@code <id> → <channel>: <reason>}
 */
public record NotifyResult(int delivered, List<String> failures) {}
