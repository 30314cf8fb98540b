import { type RefObject, useEffect, useRef, useState } from "react";

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

/**
 * Focuses an element once React has committed the render the caller just asked for: after a
 * mutation succeeds its state changes are not rendered synchronously, so focusing in the same tick
 * or the next animation frame can find the element not yet on the screen.
 */
export function useFocusAfterRender(): (target: RefObject<HTMLElement | null>) => void {
  const [target, setTarget] = useState<RefObject<HTMLElement | null> | null>(null);
  useEffect(() => {
    if (!target) return;
    target.current?.focus();
    setTarget(null);
  }, [target]);
  return setTarget;
}
