package io.wharf.core.storage;

import io.wharf.core.model.ImageName;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Finds the images in a storage by walking {@code repositories/}: a directory that holds
 * {@code _manifests} or {@code _layers} is an image; its other children may be nested images
 * ({@code team/app} and {@code team/app/tools}).
 */
public final class Catalog {
  private final StorageDriver driver;
  private final StorageLayout layout;

  /**
   * The catalog of the repository whose storage and layout these are.
   *
   * @param driver the storage
   * @param layout the repository's layout
   */
  public Catalog(StorageDriver driver, StorageLayout layout) {
    this.driver = driver;
    this.layout = layout;
  }

  /**
   * Every image name, sorted.
   *
   * @return the image names
   * @throws IOException if storage fails
   */
  public List<String> images() throws IOException {
    List<String> out = new ArrayList<>();
    String root = layout.repositoriesRoot();
    walk(root, root.length() + 1, out);
    out.sort(null);
    return out;
  }

  private void walk(String dir, int prefix, List<String> out) throws IOException {
    boolean image = false;
    for (String child : driver.list(dir)) {
      String name = StorageLayout.lastSegment(child);
      if (name.equals("_manifests") || name.equals("_layers")) {
        image = true;
      } else if (!name.startsWith("_")) {
        walk(child, prefix, out);
      }
    }
    if (image && dir.length() > prefix) {
      String name = dir.substring(prefix);
      if (ImageName.isValid(name)) {
        out.add(name);
      }
    }
  }
}
