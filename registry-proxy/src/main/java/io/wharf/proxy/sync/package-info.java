/**
 * Sync: copying images from a source registry into a Wharf repository ahead of demand (pull
 * rules). {@link io.wharf.proxy.sync.ImageCopier} copies one image between a
 * {@link io.wharf.proxy.sync.SyncSource} and a {@link io.wharf.proxy.sync.SyncTarget}, two small
 * interfaces, so that push rules can reuse it with the roles swapped;
 * {@link io.wharf.proxy.sync.SyncContent} selects what a rule copies and
 * {@link io.wharf.proxy.sync.SyncRun} runs a rule and keeps its report.
 */
package io.wharf.proxy.sync;
