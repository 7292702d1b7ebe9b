package io.wharf.server.events;

/**
 * One attempt to deliver an event to an endpoint, as the API shows it.
 *
 * @param time when it was made (RFC 3339)
 * @param eventId the id of the event delivered
 * @param action the event's action (its wire name)
 * @param attempt which attempt this was for the event, from 1
 * @param status the receiver's HTTP status; 0 when there was no answer (see {@code error})
 * @param millis how long it took
 * @param error why there was no answer (connection refused, timed out ...); null with an answer
 */
public record DeliveryAttempt(String time, String eventId, String action, int attempt, int status, long millis,
    String error) {

  /**
   * A 2xx answer.
   *
   * @return true when the receiver took the event
   */
  public boolean delivered() {
    return status >= 200 && status < 300;
  }

  /**
   * A refusal no retry changes: 4xx other than 408 (timeout) and 429 (slow down).
   *
   * @return true when retrying is pointless: the event goes to the dead letters
   */
  public boolean refused() {
    return status >= 400 && status < 500 && status != 408 && status != 429;
  }
}
