/** Commands on one incident: the reply replaces the cached incident and the timeline re-reads. */
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { keys } from "../../api/queries.ts";
import type { Incident } from "../../api/types.ts";

export function useIncidentCommand<V>(id: number, run: (vars: V) => Promise<Incident>) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: run,
    onSuccess: (incident) => {
      queryClient.setQueryData(keys.incident(id), incident);
      // The stream adds the new events too; re-reading covers a stream that is reconnecting.
      void queryClient.invalidateQueries({ queryKey: keys.timeline(id) });
      void queryClient.invalidateQueries({ queryKey: keys.incidentLists });
    },
  });
}
