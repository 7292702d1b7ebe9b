package io.wharf.core.upload;

import io.wharf.core.model.ImageName;
import java.time.Instant;

/**
 * An upload in progress: its id (the last segment of its Location), the image it belongs to,
 * how many bytes it holds and when it started. The state lives in storage, not in this object.
 *
 * @param image the image the blob is for
 * @param id the upload's id
 * @param size the bytes it holds
 * @param startedAt when it started
 */
public record UploadSession(ImageName image, String id, long size, Instant startedAt) {}
