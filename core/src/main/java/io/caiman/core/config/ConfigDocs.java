package io.caiman.core.config;

/** Generates {@code docs/config.md} from {@link CaimanConfigDef}. */
public final class ConfigDocs {

    private ConfigDocs() {}

    /** The configuration reference in Markdown. */
    public static String markdown() {
        StringBuilder sb = new StringBuilder();
        sb.append("# Configuration reference\n\n")
                .append("<!-- Generated from CaimanConfigDef by `./caiman config docs > docs/config.md`; "
                        + "a test fails when this file drifts. Do not edit by hand. -->\n\n")
                .append("A Caiman deployment is one YAML file (or an Alligator-style file: see below). "
                        + "`caiman config check FILE` reports every problem at once, each with file, line, "
                        + "full key, value and rule.\n\n")
                .append("Overrides, applied in this order after the file:\n\n")
                .append("- environment variables: `CAIMAN_` + the full key in upper case, with `.` and `[i]` "
                        + "written `_` (`clusters[0].replica_factor` is `CAIMAN_CLUSTERS_0_REPLICA_FACTOR`; "
                        + "Kafka properties: `CAIMAN_KAFKA_PRODUCER_LINGER_MS`). An unknown `CAIMAN_*` "
                        + "variable is an error (except `CAIMAN_CONFIG`, `CAIMAN_HOME`, `CAIMAN_JAVA_OPTS`, "
                        + "which the launcher reads);\n")
                .append("- flags: `--set clusters[0].replica_factor=3` (repeatable).\n\nIn both, a list is written `a,b` or `[a, b]`.\n\n")
                .append("Unknown keys are errors. Durations are written `500ms`, `30s`, `5m`, `1h30m`, `7d`, "
                        + "`2w`; sizes `65536`, `512KiB`, `64MiB`, `1GB`; addresses `host:port` (a bare port "
                        + "binds every interface).\n\n")
                .append("## Alligator's syntax\n\n")
                .append("The loader also reads Alligator's `cluster`, `entrypoint` and `aggregate` blocks; "
                        + "`caiman config convert alligator.conf` prints the equivalent YAML. `server`/`servers` "
                        + "become `servers`; each `tcp`/`udp`/`http` directive of an `entrypoint` becomes one "
                        + "entry of `entrypoints`; each directive `<kind> <url> key=value…` of an `aggregate` "
                        + "block becomes one entry of `aggregate`.\n\n")
                .append("## From `size` to retention\n\n")
                .append("Alligator's `size` is a record count; Kafka retains by bytes and time. Caiman sets the "
                        + "oplog topic's `retention.bytes` (which Kafka applies per partition) to "
                        + "ceil(`size` / `partitions`) x `record_bytes` (`retention_time` and "
                        + "`latest_retention_time` set the times). Kafka deletes whole closed segments only, so each "
                        + "partition keeps at least that many bytes once it has them, plus its active segment. With "
                        + "the defaults (size 1000, 12 partitions, 100 bytes a record) that is 8400 bytes a "
                        + "partition: when a partition's segment closes (at Kafka's 1 GiB), it goes, including "
                        + "samples a stopped or lagging processor has not read yet. Every process that checks the "
                        + "oplog at start-up logs a warning while `size` gives less than a segment. Set "
                        + "`retention_bytes` to state bytes directly (`./caiman dev` sets 1 GiB).\n");
        for (SettingGroup group : CaimanConfigDef.GROUPS) {
            sb.append("\n## `").append(group.key()).append(group.repeated() ? "[]" : "").append("`\n\n")
                    .append(group.doc()).append("\n\n")
                    .append("| key | type | default | rule | environment | description |\n")
                    .append("| --- | --- | --- | --- | --- | --- |\n");
            for (Setting<?> s : group.settings()) {
                sb.append("| `").append(s.name()).append("` | ").append(s.type().description()).append(" | ")
                        .append(s.required() ? "required" : s.defaultValue() == null ? "—" : "`" + s.formattedDefault() + "`")
                        .append(" | ").append(s.rule()).append(" | `").append(ConfigOverrides.envName(group, s))
                        .append(s.type() == SettingType.PROPERTIES ? "_<PROPERTY>" : "").append("` | ")
                        .append(s.doc().replace("|", "\\|")).append(" |\n");
            }
        }
        return sb.toString();
    }
}
