/**
 * Caiman's configuration: declared settings ({@link io.caiman.core.config.CaimanConfigDef}), the loader
 * for YAML and Alligator's syntax with environment and flag overrides, and the checked, immutable
 * {@link io.caiman.core.config.CaimanConfig}.
 */
package io.caiman.core.config;
