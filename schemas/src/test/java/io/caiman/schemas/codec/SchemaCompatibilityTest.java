package io.caiman.schemas.codec;

import static org.assertj.core.api.Assertions.assertThat;

import io.caiman.schemas.oplog.Sample;
import java.util.List;
import org.apache.avro.Schema;
import org.junit.jupiter.api.Test;

class SchemaCompatibilityTest {

    @Test
    void shouldReadEveryStoredVersionOfEverySchemaWithTheCurrentOne() {
        for (Schema current : Codecs.currentSchemas()) {
            List<Schema> history = SchemaHistory.versions(current.getFullName());
            assertThat(history).as("stored history of %s", current.getFullName()).isNotEmpty();
            assertThat(SchemaCompatibility.check(current, history))
                    .as("compatibility problems of %s; the current text is:%n%s", current.getFullName(),
                            org.apache.avro.SchemaFormatter.format("json/pretty", current))
                    .isEmpty();
        }
    }

    @Test
    void shouldFailWhenANewFieldHasNoDefault() {
        Schema changed = withExtraField(Sample.getClassSchema(), "\"type\": \"string\"");
        List<String> problems = SchemaCompatibility.check(changed, SchemaHistory.versions(changed.getFullName()));
        assertThat(problems).anySatisfy(p -> assertThat(p)
                .contains("cannot read records written with stored v")
                .contains("READER_FIELD_MISSING_DEFAULT")
                .contains("shard_hint"));
    }

    @Test
    void shouldFailWhenAFieldTypeNarrows() {
        Schema current = Sample.getClassSchema();
        List<Schema.Field> fields = new java.util.ArrayList<>();
        for (Schema.Field f : current.getFields()) {
            Schema type = f.name().equals("timestamp_ms") ? Schema.create(Schema.Type.INT) : f.schema();
            fields.add(new Schema.Field(f.name(), type, f.doc(), f.defaultVal()));
        }
        Schema changed = Schema.createRecord(current.getName(), current.getDoc(), current.getNamespace(), false, fields);
        assertThat(SchemaCompatibility.check(changed, SchemaHistory.versions(changed.getFullName())))
                .anySatisfy(p -> assertThat(p).contains("TYPE_MISMATCH").contains("timestamp_ms"));
    }

    @Test
    void shouldAcceptAnAddedFieldWithADefaultButAskForItToBeStored() {
        Schema changed = withExtraField(Sample.getClassSchema(), "\"type\": \"string\", \"default\": \"\"");
        List<String> problems = SchemaCompatibility.check(changed, SchemaHistory.versions(changed.getFullName()));
        int latest = SchemaHistory.versions(changed.getFullName()).size();
        assertThat(problems).singleElement().satisfies(p -> assertThat(p)
                .contains("changed since stored v" + latest)
                .contains("io/caiman/schemas/history/io.caiman.schemas.oplog.Sample/v" + (latest + 1) + ".avsc"));
    }

    @Test
    void shouldReportAMissingHistory() {
        Schema fresh = new Schema.Parser().parse(
                "{\"type\":\"record\",\"name\":\"Brand\",\"namespace\":\"io.caiman.x\",\"fields\":[]}");
        assertThat(SchemaCompatibility.check(fresh, SchemaHistory.versions(fresh.getFullName())))
                .singleElement().asString().contains("has no stored version");
    }

    private static Schema withExtraField(Schema schema, String typeAndDefault) {
        String text = schema.toString();
        int end = text.lastIndexOf(']');
        String field = ",{\"name\":\"shard_hint\"," + typeAndDefault + "}";
        return new Schema.Parser().parse(text.substring(0, end) + field + text.substring(end));
    }
}
