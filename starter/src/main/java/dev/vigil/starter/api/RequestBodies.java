package dev.vigil.starter.api;

import io.micronaut.core.type.Argument;
import io.micronaut.serde.Decoder;
import io.micronaut.serde.Deserializer;
import io.micronaut.serde.exceptions.SerdeException;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Strict decoding of the POST bodies: each field must have its JSON type (no number read as text,
 * no one-element list read as its element), unknown fields are refused, and every refusal names the
 * field and what was given in a person's words ({@code jobs: expected a whole number, got "four"}),
 * never a Java type. The framework's own decoder would answer with its token and class names.
 */
final class RequestBodies {
  private RequestBodies() {}

  /** A body that does not fit its record; the message is the one line the client sees. */
  static final class BadBody extends SerdeException {
    BadBody(String message) {
      super(message);
    }
  }

  /** Decodes {@code value} (maps, lists, strings, numbers, booleans) into {@code type}. */
  static <R extends Record> R decode(Object value, Class<R> type) throws BadBody {
    if (!(value instanceof Map<?, ?> fields)) {
      throw new BadBody(
          "the body must be a JSON object with the fields "
              + names(type)
              + ", got "
              + given(value));
    }
    return record(fields, type, "");
  }

  private static <R extends Record> R record(Map<?, ?> fields, Class<R> type, String path)
      throws BadBody {
    RecordComponent[] components = type.getRecordComponents();
    List<String> names = names(type);
    for (Object name : fields.keySet()) {
      if (!names.contains(String.valueOf(name))) {
        throw new BadBody(
            at(path, String.valueOf(name)) + ": unknown field; expected one of " + names);
      }
    }
    Object[] values = new Object[components.length];
    for (int i = 0; i < components.length; i++) {
      RecordComponent component = components[i];
      Object value = fields.get(component.getName());
      values[i] =
          value == null
              ? null
              : field(value, component.getGenericType(), at(path, component.getName()));
    }
    try {
      Constructor<R> constructor =
          type.getDeclaredConstructor(
              Arrays.stream(components).map(RecordComponent::getType).toArray(Class<?>[]::new));
      constructor.setAccessible(true);
      return constructor.newInstance(values);
    } catch (InvocationTargetException
        | InstantiationException
        | IllegalAccessException
        | NoSuchMethodException e) {
      throw new IllegalStateException("cannot build the request record", e);
    }
  }

  private static Object field(Object value, Type type, String path) throws BadBody {
    if (type == String.class) {
      if (value instanceof String text) {
        return text;
      }
      throw new BadBody(path + ": expected text in double quotes, got " + given(value));
    }
    if (type == Integer.class) {
      if (value instanceof Number number && isWhole(number)) {
        BigDecimal exact = new BigDecimal(number.toString());
        if (exact.abs().compareTo(BigDecimal.valueOf(Integer.MAX_VALUE)) <= 0) {
          return exact.intValueExact();
        }
        throw new BadBody(path + ": " + number + " is too large");
      }
      throw new BadBody(path + ": expected a whole number, got " + given(value));
    }
    if (type == Boolean.class) {
      if (value instanceof Boolean flag) {
        return flag;
      }
      throw new BadBody(path + ": expected true or false, got " + given(value));
    }
    if (type instanceof ParameterizedType list && list.getRawType() == List.class) {
      if (!(value instanceof List<?> elements)) {
        throw new BadBody(path + ": expected a list such as [\"a\", \"b\"], got " + given(value));
      }
      List<Object> decoded = new ArrayList<>();
      for (int i = 0; i < elements.size(); i++) {
        Object element = elements.get(i);
        decoded.add(
            element == null
                ? null
                : field(element, list.getActualTypeArguments()[0], path + "[" + i + "]"));
      }
      return decoded;
    }
    if (type instanceof Class<?> nested && nested.isRecord()) {
      if (!(value instanceof Map<?, ?> fields)) {
        throw new BadBody(
            path
                + ": expected an object with the fields "
                + names(nested)
                + ", got "
                + given(value));
      }
      return record(fields, nested.asSubclass(Record.class), path);
    }
    throw new IllegalStateException("no decoding for a request field of type " + type);
  }

  private static boolean isWhole(Number number) {
    try {
      new BigDecimal(number.toString()).toBigIntegerExact();
      return true;
    } catch (ArithmeticException | NumberFormatException e) {
      return false;
    }
  }

  /** What the client sent, in JSON words: {@code "four"}, {@code 4.5}, a list, an object. */
  private static String given(Object value) {
    if (value == null) {
      return "null";
    }
    if (value instanceof Map<?, ?>) {
      return "an object";
    }
    if (value instanceof List<?>) {
      return "a list";
    }
    if (value instanceof String text) {
      return "\"" + (text.length() > 60 ? text.substring(0, 60) + "..." : text) + "\"";
    }
    return String.valueOf(value);
  }

  private static List<String> names(Class<?> type) {
    return Arrays.stream(type.getRecordComponents()).map(RecordComponent::getName).toList();
  }

  private static String at(String path, String field) {
    return path.isEmpty() ? field : path + "." + field;
  }

  /** Decodes one request record strictly; a bean per record so the framework uses it. */
  abstract static class Strict<R extends Record> implements Deserializer<R> {
    private final Class<R> type;

    Strict(Class<R> type) {
      this.type = type;
    }

    @Override
    public R deserialize(Decoder decoder, DecoderContext context, Argument<? super R> argument)
        throws IOException {
      return decode(decoder.decodeArbitrary(), type);
    }
  }

  @Singleton
  static final class BackupRunBody extends Strict<RunRequests.BackupRun> {
    BackupRunBody() {
      super(RunRequests.BackupRun.class);
    }
  }

  @Singleton
  static final class RestoreRunBody extends Strict<RunRequests.RestoreRun> {
    RestoreRunBody() {
      super(RunRequests.RestoreRun.class);
    }
  }

  @Singleton
  static final class DrillRunBody extends Strict<RunRequests.DrillRun> {
    DrillRunBody() {
      super(RunRequests.DrillRun.class);
    }
  }

  @Singleton
  static final class PauseRequestBody extends Strict<SchedulesController.PauseRequest> {
    PauseRequestBody() {
      super(SchedulesController.PauseRequest.class);
    }
  }
}
