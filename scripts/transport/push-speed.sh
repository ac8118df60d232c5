#!/bin/sh
# The package's steady speed per env step under four robots pushing (vmas mode, kdmarl rollout with an init file):
# axis: two robots on the -x face and two behind them, all +x (action 6); diagonal: one at the (-x,-y) corner,
# one on each face beside it and one behind the corner, all (+x,+y) (action 8). Prints displacement per step over steps 100-400.
ROOT="${1:-.}"; T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
cat > $T/axis.json <<J
{"entities":{"package_0":{"pos":[-0.9,0.5]},"goal":{"pos":[0.9,-0.9]},
"agent_0":{"pos":[-1.005,0.535]},"agent_1":{"pos":[-1.005,0.465]},"agent_2":{"pos":[-1.065,0.535]},"agent_3":{"pos":[-1.065,0.465]}}}
J
cat > $T/diag.json <<J
{"entities":{"package_0":{"pos":[-0.8,-0.8]},"goal":{"pos":[0.9,-0.9]},
"agent_0":{"pos":[-0.897,-0.897]},"agent_1":{"pos":[-0.905,-0.77]},"agent_2":{"pos":[-0.77,-0.905]},"agent_3":{"pos":[-0.94,-0.94]}}}
J
node -e 'const a=[];for(let i=0;i<400;i++)a.push({agent_0:+process.argv[1],agent_1:+process.argv[1],agent_2:+process.argv[1],agent_3:+process.argv[1]});console.log(JSON.stringify(a))' 6 > $T/a6.json
node -e 'const a=[];for(let i=0;i<400;i++)a.push({agent_0:+process.argv[1],agent_1:+process.argv[1],agent_2:+process.argv[1],agent_3:+process.argv[1]});console.log(JSON.stringify(a))' 8 > $T/a8.json
for m in axis:a6 diag:a8; do n=${m%%:*}; act=${m##*:}
  node "$ROOT/dist/cli.js" rollout --scenario transport --physics vmas --init $T/$n.json --actions $T/$act.json --steps 400 --json > $T/$n.out
  node -e 'const r=JSON.parse(require("fs").readFileSync(process.argv[1]));const p=(i)=>r.steps[i].positions.package_0;const a=p(99),b=p(399);console.log(process.argv[2],"package at step 100",a.map(x=>x.toFixed(4)).join(","),"step 400",b.map(x=>x.toFixed(4)).join(","),"per step",((b[0]-a[0])/300).toFixed(6),((b[1]-a[1])/300).toFixed(6),"speed",(Math.hypot(b[0]-a[0],b[1]-a[1])/300).toFixed(6))' $T/$n.out $n
done

