package dev.vigil.workflows.common;

import io.temporal.common.SearchAttributeKey;
import io.temporal.testing.TestWorkflowEnvironment;

/** Registers Vigil's search attributes on a test server, as the worker does on a real one. */
public final class TestSearchAttributes {
  private TestSearchAttributes() {}

  public static void register(TestWorkflowEnvironment environment) {
    for (SearchAttributeKey<String> key : SearchAttributes.ALL) {
      environment.registerSearchAttribute(key.getName(), key.getValueType());
    }
  }
}
