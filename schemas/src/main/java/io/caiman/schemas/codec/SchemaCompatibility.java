package io.caiman.schemas.codec;

import java.util.ArrayList;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility.SchemaCompatibilityType;
import org.apache.avro.SchemaCompatibility.SchemaPairCompatibility;

/**
 * The build's schema-evolution check: the current schema of a record must read every stored version
 * of it (backward compatibility), and the newest stored version must be the current schema, so no
 * change ships without being recorded.
 */
public final class SchemaCompatibility {

    private SchemaCompatibility() {}

    /**
     * Checks {@code current} against {@code history} (oldest first).
     *
     * @return every problem found, each naming the version and what breaks; empty when compatible
     */
    public static List<String> check(Schema current, List<Schema> history) {
        List<String> problems = new ArrayList<>();
        if (history.isEmpty()) {
            problems.add(current.getFullName() + " has no stored version; add "
                    + SchemaHistory.resourcePath(current.getFullName(), 1));
            return problems;
        }
        for (int i = 0; i < history.size(); i++) {
            SchemaPairCompatibility result =
                    org.apache.avro.SchemaCompatibility.checkReaderWriterCompatibility(current, history.get(i));
            if (result.getType() != SchemaCompatibilityType.COMPATIBLE) {
                problems.add(String.format("%s: the current schema cannot read records written with stored v%d: %s",
                        current.getFullName(), i + 1, describe(current, result)));
            }
        }
        Schema newest = history.get(history.size() - 1);
        if (!newest.equals(current)) {
            problems.add(String.format(
                    "%s changed since stored v%d; store the current schema as %s (its text is SchemaFormatter.format(\"json/pretty\", schema))",
                    current.getFullName(), history.size(),
                    SchemaHistory.resourcePath(current.getFullName(), history.size() + 1)));
        }
        return problems;
    }

    private static String describe(Schema reader, SchemaPairCompatibility result) {
        StringBuilder sb = new StringBuilder();
        result.getResult().getIncompatibilities().forEach(inc -> sb.append(inc.getType())
                .append(" at ").append(fieldPath(reader, inc.getLocation()))
                .append(" (").append(inc.getMessage()).append("); "));
        return sb.length() == 0 ? result.getDescription() : sb.substring(0, sb.length() - 2);
    }

    /** Turns Avro's JSON-pointer location ({@code /fields/1/type}) into field names ({@code timestamp_ms}). */
    static String fieldPath(Schema schema, String location) {
        String[] parts = location.split("/");
        StringBuilder path = new StringBuilder();
        Schema at = schema;
        for (int i = 1; i < parts.length; i++) {
            if (parts[i].equals("fields") && i + 1 < parts.length && at.getType() == Schema.Type.RECORD) {
                int index = Integer.parseInt(parts[++i]);
                if (index >= at.getFields().size()) {
                    return location;
                }
                Schema.Field field = at.getFields().get(index);
                path.append(path.length() == 0 ? "" : ".").append(field.name());
                at = field.schema();
            }
        }
        return path.length() == 0 ? location : path + " (" + location + ")";
    }
}
