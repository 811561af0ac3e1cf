package io.caiman.core.config;

import java.util.List;

/**
 * A block of settings: a top-level mapping ({@code zookeeper:}) or a list of mappings
 * ({@code clusters:}), each element holding the same settings.
 *
 * @param key the top-level key
 * @param repeated whether the block is a list of mappings
 * @param doc what the block describes
 * @param settings the settings it holds
 */
public record SettingGroup(String key, boolean repeated, String doc, List<Setting<?>> settings) {

    Setting<?> setting(String name) {
        for (Setting<?> s : settings) {
            if (s.name().equals(name)) {
                return s;
            }
        }
        return null;
    }
}
