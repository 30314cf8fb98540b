/**
 * Server-sent events with a visible state. EventSource reconnects by itself (sending Last-Event-ID);
 * when the server refuses it outright (a restart, an expired session) it stops, so this tries again
 * with a growing delay. Every (re)connection calls `onOpen`, where screens re-fetch what they show:
 * whatever happened while the stream was down is then on screen too.
 */
import { useEffect, useRef, useState } from "react";

export type LiveState = "connecting" | "live" | "reconnecting";

export type StreamHandlers = {
  /** Named events: `timeline`, `incident`… */
  events: Record<string, (data: unknown, id: string) => void>;
  onOpen?: () => void;
  /**
   * The server refused the stream (an expired session, an incident no longer visible). Screens
   * re-read their data here: a normal request gets the refusal as a problem they can show.
   */
  onRefused?: () => void;
};

const MAX_RETRY_MS = 30_000;

export function useEventStream(url: string | null, handlers: StreamHandlers): LiveState {
  const [state, setState] = useState<LiveState>("connecting");
  // The latest handlers, without reconnecting each time a screen re-renders.
  const current = useRef(handlers);
  current.current = handlers;
  const eventNames = Object.keys(handlers.events).sort().join(",");

  useEffect(() => {
    if (!url) return;
    let source: EventSource | undefined;
    let retryTimer: ReturnType<typeof setTimeout> | undefined;
    let delay = 1_000;
    let stopped = false;

    const connect = () => {
      source = new EventSource(url, { withCredentials: true });
      source.onopen = () => {
        delay = 1_000;
        setState("live");
        current.current.onOpen?.();
      };
      source.onerror = () => {
        if (stopped) return;
        setState("reconnecting");
        if (source?.readyState === EventSource.CLOSED) {
          source.close();
          current.current.onRefused?.();
          retryTimer = setTimeout(connect, delay);
          delay = Math.min(delay * 2, MAX_RETRY_MS);
        }
      };
      for (const name of eventNames.split(",").filter(Boolean)) {
        source.addEventListener(name, (e) => {
          const message = e as MessageEvent<string>;
          let data: unknown;
          try {
            data = JSON.parse(message.data);
          } catch {
            return; // a malformed event is skipped; the re-fetch on reconnect covers it
          }
          current.current.events[name]?.(data, message.lastEventId);
        });
      }
    };
    setState("connecting");
    connect();
    return () => {
      stopped = true;
      clearTimeout(retryTimer);
      source?.close();
    };
  }, [url, eventNames]);

  return state;
}
