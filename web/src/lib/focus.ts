import { useEffect, useRef } from "react";

/**
 * Moves focus into a form that opened because the person asked for it ("Edit title"), so keyboard
 * and screen-reader users land where they meant to go. Not for forms present on page load.
 */
export function useFocusOnMount<T extends HTMLElement>() {
  const ref = useRef<T>(null);
  useEffect(() => {
    ref.current?.focus();
  }, []);
  return ref;
}
