package io.caiman.schemas.codec;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.Schema;

/**
 * The stored versions of a record's schema: {@code io/caiman/schemas/history/<full name>/v1.avsc},
 * {@code v2.avsc}, … on the classpath, numbered without gaps. Every version ever released stays here
 * so that records written by it can still be read, and {@link SchemaCompatibility#check} proves that.
 *
 * <p>To change a schema: edit the {@code .avsc} under {@code src/main/avro}, then add it as the next
 * version here (the schema tests print the exact text and path).
 */
public final class SchemaHistory {

    private static final String ROOT = "io/caiman/schemas/history/";

    private SchemaHistory() {}

    /** The resource path of version {@code version} of the record {@code fullName}. */
    public static String resourcePath(String fullName, int version) {
        return ROOT + fullName + "/v" + version + ".avsc";
    }

    /**
     * Every stored version of {@code fullName}, oldest first.
     *
     * @throws UncheckedIOException if a stored version cannot be read
     * @throws org.apache.avro.SchemaParseException if a stored version is not a valid schema
     */
    public static List<Schema> versions(String fullName) {
        List<Schema> versions = new ArrayList<>();
        ClassLoader loader = SchemaHistory.class.getClassLoader();
        for (int v = 1; ; v++) {
            String path = resourcePath(fullName, v);
            try (InputStream in = loader.getResourceAsStream(path)) {
                if (in == null) {
                    return versions;
                }
                versions.add(new Schema.Parser().parse(new String(in.readAllBytes(), StandardCharsets.UTF_8)));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read stored schema " + path, e);
            }
        }
    }
}
