package main

import (
	"fmt"
	"io"
	"math"

	"github.com/neurona/neurona/callbacks"
	"github.com/neurona/neurona/datasets"
	"github.com/neurona/neurona/metrics"
	"github.com/neurona/neurona/models"
	"github.com/neurona/neurona/spec"
)

// aucEpoch is the epoch whose weights the ROC AUC line scores: --auc-epoch
// when given, else the spec's output.roc_auc; ok is false when neither
// asks for the line.
func aucEpoch(s *spec.Spec, tf trainFlags) (epoch int, ok bool) {
	if tf.set["auc-epoch"] {
		return tf.aucEpoch, true
	}
	if s.ROCAUCEpoch != nil {
		return *s.ROCAUCEpoch, true
	}
	return 0, false
}

// printROCAUC prints the ROC AUC, in percent with two decimals as the
// book's notebooks print roc_auc_score(y_valid, y_hat)*100, of the
// validation predictions made with the weights of epoch want (from 1):
// those the spec's ModelCheckpoint saved at that epoch, or the final
// weights when it is the last. want 0, or an epoch the run did not reach,
// scores the epoch of the lowest val_loss instead, and the line says so.
func printROCAUC(w io.Writer, s *spec.Spec, model *models.Model, hist *models.History, valid datasets.Split, want int) error {
	if valid.X == nil || valid.Len() == 0 {
		return fmt.Errorf("ROC AUC: the run has no validation data to score")
	}
	if hist == nil || len(hist.Epoch) == 0 {
		return fmt.Errorf("ROC AUC: no epoch was trained")
	}
	first, last := hist.Epoch[0]+1, hist.Epoch[len(hist.Epoch)-1]+1
	epoch, why := want, "the chosen epoch"
	if want == 0 || want < first || want > last {
		vl := hist.Values["val_loss"]
		best := 0
		for i, v := range vl {
			if !math.IsNaN(v) && (math.IsNaN(vl[best]) || v < vl[best]) {
				best = i
			}
		}
		epoch, why = hist.Epoch[best]+1, "the lowest val_loss"
		if want != 0 {
			why = fmt.Sprintf("the lowest val_loss; epoch %d was not trained", want)
		}
	}
	scorer := model
	if epoch != last {
		path, err := checkpointAt(s, hist, epoch)
		if err != nil {
			return err
		}
		if scorer, err = models.Load(path); err != nil {
			return fmt.Errorf("ROC AUC: the weights of epoch %d: %w", epoch, err)
		}
	}
	p, err := scorer.Predict(valid.X)
	if err != nil {
		return fmt.Errorf("ROC AUC: %w", err)
	}
	if p.RowSize() != 1 || valid.Y.Size() != valid.Len() {
		return fmt.Errorf("ROC AUC: scores one binary output, not %d outputs per sample", p.RowSize())
	}
	scores, labels := make([]float64, valid.Len()), make([]float64, valid.Len())
	for i := range scores {
		scores[i], labels[i] = float64(p.Data[i]), float64(valid.Y.Data[i])
	}
	auc, err := metrics.ROCAUC(scores, labels)
	if err != nil {
		return fmt.Errorf("ROC AUC: %w", err)
	}
	fmt.Fprintf(w, "ROC AUC of the %d validation samples with the weights of epoch %d (%s): %0.2f\n", len(scores), epoch, why, auc*100)
	return nil
}

// checkpointAt is the file the spec's ModelCheckpoint wrote at epoch.
func checkpointAt(s *spec.Spec, hist *models.History, epoch int) (string, error) {
	for _, cb := range s.Fit.Callbacks {
		cp, ok := cb.(*callbacks.ModelCheckpoint)
		if !ok || cp.SaveBestOnly || cp.SaveWeightsOnly {
			continue
		}
		logs := callbacks.Logs{}
		for i, e := range hist.Epoch {
			if e+1 == epoch {
				for k, v := range hist.Values {
					logs[k] = v[i]
				}
			}
		}
		return callbacks.FormatPath(cp.Filepath, epoch, logs)
	}
	return "", fmt.Errorf("ROC AUC: the weights of epoch %d are needed, but the spec has no ModelCheckpoint saving whole models every epoch (pass --auc-epoch %d to score the last epoch's weights)", epoch, epoch)
}
