package explore

import (
	"context"
	"fmt"
	"testing"

	"github.com/klpcheck/klpcheck/model"
)

// BenchmarkRun explores the correct model at 3 patches, 2 tasks and 2
// functions and reports distinct states per second and bytes per state.
func BenchmarkRun(b *testing.B) {
	cfg := model.Config{Patches: 3, Tasks: 2, Functions: 2}
	for _, sym := range []bool{false, true} {
		for _, workers := range []int{1, 2} {
			b.Run(fmt.Sprintf("symmetry=%t/workers=%d", sym, workers), func(b *testing.B) {
				var res *Result
				for b.Loop() {
					var err error
					res, err = Run(context.Background(), Options{Config: cfg, Workers: workers, Symmetry: sym})
					if err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(res.DistinctStates)*float64(b.N)/b.Elapsed().Seconds(), "states/s")
				b.ReportMetric(res.BytesPerState, "bytes/state")
			})
		}
	}
}
