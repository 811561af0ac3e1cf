package io.caiman.core.http;

import java.util.List;

/**
 * Whether a process is ready to take work, and each condition that decides it, so {@code /-/ready} can say
 * which hold and which do not.
 */
public record Readiness(List<Condition> conditions) {

    /** One named condition, e.g. "kafka: oplog topic repl.oplog checked". */
    public record Condition(String name, boolean met, String detail) {}

    public boolean ready() {
        return conditions.stream().allMatch(Condition::met);
    }

    /** One line per condition: {@code [ok] name: detail} or {@code [waiting] name: detail}. */
    public String describe() {
        StringBuilder sb = new StringBuilder(ready() ? "Ready" : "Not ready");
        for (Condition c : conditions) {
            sb.append("\n").append(c.met() ? "[ok] " : "[waiting] ").append(c.name());
            if (c.detail() != null && !c.detail().isEmpty()) {
                sb.append(": ").append(c.detail());
            }
        }
        return sb.toString();
    }
}
