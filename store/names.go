package store

import (
	"fmt"
	"math/rand/v2"
)

// Names for containers started without --name, docker's way: an
// adjective and a scientist.
var (
	adjectives = []string{"admiring", "bold", "brave", "calm", "clever", "dazzling", "eager", "elated", "epic",
		"focused", "gallant", "happy", "jolly", "keen", "kind", "lucid", "modest", "nifty", "noble", "quirky",
		"serene", "sharp", "stoic", "sweet", "tender", "upbeat", "vibrant", "wizardly", "xenial", "zealous"}
	scientists = []string{"agnesi", "babbage", "bohr", "curie", "darwin", "dijkstra", "einstein", "euler",
		"fermi", "franklin", "galileo", "hopper", "hypatia", "kepler", "knuth", "lamarr", "lovelace", "meitner",
		"newton", "noether", "pascal", "ritchie", "shannon", "thompson", "turing", "volta", "wozniak", "yalow"}
)

// generateName returns a name that taken says is free.
func generateName(taken func(string) bool) string {
	for i := 0; ; i++ {
		name := adjectives[rand.IntN(len(adjectives))] + "_" + scientists[rand.IntN(len(scientists))]
		if i >= 10 {
			name = fmt.Sprintf("%s%d", name, i)
		}
		if !taken(name) {
			return name
		}
	}
}
