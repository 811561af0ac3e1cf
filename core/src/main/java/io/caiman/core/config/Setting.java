package io.caiman.core.config;

import java.util.function.Function;

/**
 * One declared setting: its key, type, default, rule and documentation. Declared once, in
 * {@link CaimanConfigDef}; the loader, the validator, the environment-variable names and
 * {@code docs/config.md} all come from the declaration.
 *
 * @param name the key within its group, e.g. {@code replica_factor}
 * @param type how the value is read
 * @param defaultValue the value when the key is absent; {@code null} for none
 * @param required whether the key must be given
 * @param validator returns the broken rule ("must be at least 1") or {@code null} when the value is fine
 * @param rule the rule in words, for the docs; empty when the type says it all
 * @param doc what the setting does
 */
public record Setting<T>(
        String name,
        SettingType<T> type,
        T defaultValue,
        boolean required,
        Function<T, String> validator,
        String rule,
        String doc) {

    /** A setting with a default. */
    public static <T> Setting<T> optional(String name, SettingType<T> type, T defaultValue, String doc) {
        return new Setting<>(name, type, defaultValue, false, v -> null, "", doc);
    }

    /** A setting that must be given. */
    public static <T> Setting<T> required(String name, SettingType<T> type, String doc) {
        return new Setting<>(name, type, null, true, v -> null, "", doc);
    }

    /** This setting with a rule checked after the type is read. */
    public Setting<T> checkedBy(Rule<T> check) {
        return new Setting<>(name, type, defaultValue, required, check.validator(), check.description(), doc);
    }

    String formattedDefault() {
        return defaultValue == null ? "" : type.format(defaultValue);
    }

    /**
     * A named rule: its description for the docs and the validator.
     *
     * @param description e.g. "at least 1"
     * @param validator returns "must be at least 1" or {@code null}
     */
    public record Rule<T>(String description, Function<T, String> validator) {

        public static Rule<Integer> atLeast(int min) {
            return new Rule<>("at least " + min, v -> v < min ? "must be at least " + min : null);
        }

        public static Rule<Long> atLeastLong(long min) {
            return new Rule<>("at least " + min, v -> v < min ? "must be at least " + min : null);
        }

        public static Rule<Integer> between(int min, int max) {
            return new Rule<>("from " + min + " to " + max,
                    v -> v < min || v > max ? "must be from " + min + " to " + max : null);
        }

        public static Rule<java.time.Duration> positive() {
            return new Rule<>("more than 0", v -> v.isZero() || v.isNegative() ? "must be more than 0" : null);
        }

        public static Rule<java.time.Duration> notNegative() {
            return new Rule<>("0 or more", v -> v.isNegative() ? "must be 0 or more" : null);
        }

        public static <E> Rule<java.util.List<E>> notEmpty() {
            return new Rule<>("not empty", v -> v.isEmpty() ? "must list at least one" : null);
        }

        public static <E> Rule<java.util.List<E>> each(Function<E, String> check, String description) {
            return new Rule<>(description, v -> {
                for (E e : v) {
                    String problem = check.apply(e);
                    if (problem != null) {
                        return problem;
                    }
                }
                return null;
            });
        }

        /** Every key of a map passes {@code check}. */
        public static Rule<java.util.Map<String, String>> keys(Function<String, String> check, String description) {
            return new Rule<>("keys are " + description, v -> {
                for (String key : v.keySet()) {
                    String problem = check.apply(key);
                    if (problem != null) {
                        return "has key " + key + ": " + problem;
                    }
                }
                return null;
            });
        }

        public static Rule<String> matches(String regex, String description) {
            java.util.regex.Pattern p = java.util.regex.Pattern.compile(regex);
            return new Rule<>(description, v -> p.matcher(v).matches() ? null : "must be " + description);
        }
    }
}
