package io.caiman.core.config;

import io.caiman.error.CaimanException;
import java.util.List;

/** A configuration with problems. It carries all of them, not just the first. */
public final class ConfigException extends CaimanException {

    private final List<ConfigProblem> problems;

    public ConfigException(List<ConfigProblem> problems) {
        super(render(problems));
        this.problems = List.copyOf(problems);
    }

    public List<ConfigProblem> problems() {
        return problems;
    }

    private static String render(List<ConfigProblem> problems) {
        StringBuilder sb = new StringBuilder();
        sb.append(problems.size()).append(problems.size() == 1 ? " configuration problem:" : " configuration problems:");
        problems.forEach(p -> sb.append("\n  ").append(p));
        return sb.toString();
    }
}
