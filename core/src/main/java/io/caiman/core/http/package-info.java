/** The HTTP server every Caiman process runs, with /metrics, /-/healthy and /-/ready, and a thin exchange API. */
package io.caiman.core.http;
