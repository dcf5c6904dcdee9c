/**
 * The migrate dialog's prediction for the draft: the model (shared/migration/predict.ts) run here, in the renderer,
 * on the inputs main gathered for this VM and route, for the options on screen and for each profile, again on every
 * change (a call takes well under a millisecond: bench/results/predict-speed.txt). The recommended profile is the
 * one the model ranks first (shared/migration/predict-recommend.ts). Without enough to predict from, it offers the
 * trial pre-copy at the cost its channel would keep to.
 */
import { useMemo } from 'react';
import { predict } from '../../../../shared/migration/predict';
import { recommendProfile } from '../../../../shared/migration/predict-recommend';
import { draftTrialCost } from '../../store/migrationSlice';
import { useActions, useFerry } from '../../store/react';
import { PredictionPanel } from './PredictionPanel';

export function DraftPrediction() {
  const draft = useFerry((s) => s.migration.draft);
  const profiles = useFerry((s) => s.migration.profiles);
  // Narrow selections: the inventory changes on every sample, these do not.
  const sourceName = useFerry((s) => (draft === null ? undefined : s.inventory.hosts[draft.sourceHostId]?.record.name));
  const destinationName = useFerry((s) => (draft?.destinationHostId == null ? undefined : s.inventory.hosts[draft.destinationHostId]?.record.name));
  const { applyPredictedChange, chooseProfile, runTrial } = useActions();
  const inventoryMemory = useFerry((s) => (draft === null ? undefined : s.inventory.hosts[draft.sourceHostId]?.vms?.find((v) => v.name === draft.vmName)?.memoryBytes));
  const inputs = draft?.predictionInputs?.inputs;
  const options = draft?.options;
  const profileId = draft?.profileId ?? undefined;
  const computed = useMemo(() => {
    if (inputs === undefined || options === undefined) return undefined;
    const prediction = predict(inputs, options);
    const recommendation = recommendProfile(
      profiles.map((p) => ({ id: p.id, name: p.name, prediction: predict(inputs, p.options) })),
      profileId,
    );
    return { prediction, recommendation };
  }, [inputs, options, profiles, profileId]);
  if (draft === null || draft.destinationHostId === null || draft.predictionInputs === undefined) return null;
  const recommended = computed?.recommendation.id;
  const cost = draftTrialCost(draft, inventoryMemory);
  const trial = draft.trial;
  return (
    <PredictionPanel
      inputs={inputs}
      prediction={computed?.prediction}
      recommendation={computed?.recommendation}
      recommendedName={recommended !== undefined && recommended !== draft.profileId ? profiles.find((p) => p.id === recommended)?.name : undefined}
      busy={draft.phase !== 'editing'}
      onApply={applyPredictedChange}
      onUseProfile={chooseProfile}
      error={draft.predictionInputs.error?.message}
      trial={
        cost === undefined
          ? undefined
          : {
              cost: cost.sentence,
              route: `${sourceName ?? 'the source'} and ${destinationName ?? 'the destination'}`,
              running: trial?.running === true,
              run: () => void runTrial(),
              done: trial?.done,
              problem: trial?.problem,
            }
      }
    />
  );
}
