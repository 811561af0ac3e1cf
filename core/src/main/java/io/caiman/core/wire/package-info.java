/**
 * Wire formats: parsers take bytes and return samples plus every error (format, line, column, reason),
 * so HTTP handlers, TCP listeners and tools share them.
 */
package io.caiman.core.wire;
