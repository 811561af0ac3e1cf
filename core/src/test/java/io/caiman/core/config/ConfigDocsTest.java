package io.caiman.core.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class ConfigDocsTest {

    @Test
    void shouldMatchTheCommittedReference() throws Exception {
        Path root = Path.of(System.getProperty("caiman.repo.root", ".."));
        Path docs = root.resolve("docs/config.md");
        assertThat(docs).as("docs/config.md (generate it with ./caiman config docs > docs/config.md)").exists();
        assertThat(Files.readString(docs))
                .as("docs/config.md drifted from CaimanConfigDef; regenerate it with ./caiman config docs > docs/config.md")
                .isEqualTo(ConfigDocs.markdown());
    }

    @Test
    void shouldDocumentEverySetting() {
        String md = ConfigDocs.markdown();
        for (SettingGroup group : CaimanConfigDef.GROUPS) {
            for (Setting<?> s : group.settings()) {
                assertThat(md).contains("| `" + s.name() + "` |");
                assertThat(s.doc()).as(group.key() + "." + s.name()).isNotBlank();
            }
        }
        assertThat(md).contains("`CAIMAN_CLUSTERS_<i>_REPLICA_FACTOR`");
    }
}
