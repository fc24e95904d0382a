"use strict";
const colors=["#1f77b4","#ff7f0e","#2ca02c","#d62728","#9467bd","#8c564b"];
let runs=[],hidden={};
function el(t,a,txt){const e=document.createElementNS("http://www.w3.org/2000/svg",t);for(const k in a)e.setAttribute(k,a[k]);if(txt!==undefined)e.textContent=txt;return e}
function chart(svg,series,marks){svg.innerHTML="";const W=+svg.getAttribute("width"),H=+svg.getAttribute("height"),L=50,B=25;
 let xs=[],ys=[];series.forEach(s=>s.pts.forEach(p=>{if(p[1]!==null){xs.push(p[0]);ys.push(p[1])}}));if(!xs.length)return;
 let x0=Math.min(...xs),x1=Math.max(...xs),y0=Math.min(...ys),y1=Math.max(...ys);if(x1==x0)x1=x0+1;if(y1==y0)y1=y0+1;
 const X=x=>L+(x-x0)/(x1-x0)*(W-L-10),Y=y=>H-B-(y-y0)/(y1-y0)*(H-B-10);
 svg.appendChild(el("text",{x:2,y:12,"font-size":11},y1.toPrecision(3)));svg.appendChild(el("text",{x:2,y:H-B,"font-size":11},y0.toPrecision(3)));
 svg.appendChild(el("text",{x:L,y:H-5,"font-size":11},x0));svg.appendChild(el("text",{x:W-40,y:H-5,"font-size":11},x1));
 series.forEach((s,i)=>{const d=s.pts.filter(p=>p[1]!==null).map((p,j)=>(j?"L":"M")+X(p[0]).toFixed(1)+","+Y(p[1]).toFixed(1)).join("");
  svg.appendChild(el("path",{d:d,fill:"none",stroke:colors[i%colors.length],"stroke-width":1.5,class:"series","data-name":s.name}));
  svg.appendChild(el("text",{x:W-200,y:14+12*i,"font-size":11,fill:colors[i%colors.length]},s.name))});
 (marks||[]).forEach(m=>{svg.appendChild(el("line",{x1:X(m.x),x2:X(m.x),y1:0,y2:H-B,stroke:"#999","stroke-dasharray":"4"}));svg.appendChild(el("text",{x:X(m.x)+3,y:H-B-4,"font-size":11,class:"best"},m.label))})}
function render(){const box=document.getElementById("runs");box.innerHTML="";
 runs.forEach(r=>{const l=document.createElement("label");const c=document.createElement("input");c.type="checkbox";c.checked=!hidden[r.name];
  c.onchange=()=>{hidden[r.name]=!c.checked;render()};l.appendChild(c);l.append(" "+r.name+(r.live?(r.done?" (done)":" (live)"):"")+"  ");box.appendChild(l)});
 const vis=runs.filter(r=>!hidden[r.name]);let ser=[],marks=[];
 vis.forEach(r=>{(r.keys||[]).forEach(k=>ser.push({name:r.name+": "+k,pts:r.epochs.map(e=>[e.epoch+1,e.logs[k]===undefined?null:e.logs[k]])}));
  const key=(r.keys||[]).includes("val_loss")?"val_loss":"loss";let best=-1;r.epochs.forEach((e,i)=>{const v=e.logs[key];if(v!==null&&v!==undefined&&(best<0||v<r.epochs[best].logs[key]))best=i});
  if(best>=0)marks.push({x:r.epochs[best].epoch+1,label:"best "+key+" (epoch "+(r.epochs[best].epoch+1)+")"})});
 chart(document.getElementById("epochs"),ser,marks);
 chart(document.getElementById("batches"),vis.map(r=>({name:r.name+": batch loss",pts:r.batches})));
 const live=vis.find(r=>r.progress);document.getElementById("progress").textContent=live?`epoch ${live.progress.epoch+1}/${live.progress.epochs}, batch ${live.progress.batch}/${live.progress.steps}, learning rate ${live.progress.lr}`:"";
 const sr=vis.find(r=>r.speed&&r.speed.layers.length);chart(document.getElementById("speed"),sr?sr.speed.layers.map((n,l)=>({name:n,pts:sr.speed.grad_norm.map((g,e)=>[e+1,g[l]])})):[]);
 const sm=vis.find(r=>r.summary),sd=document.getElementById("summary");sd.innerHTML="";
 if(sm){const t=document.createElement("table");t.id="summary-table";const h=t.insertRow();sm.summary.columns.forEach(c=>{const th=document.createElement("th");th.textContent=c;h.appendChild(th)});
  sm.summary.rows.forEach(row=>{const tr=t.insertRow();row.forEach(c=>tr.insertCell().textContent=c)});sd.appendChild(t);sm.summary.totals.forEach(x=>{const p=document.createElement("div");p.textContent=x;sd.appendChild(p)})}
 const im=document.getElementById("images");im.innerHTML="";vis.forEach(r=>(r.images||[]).forEach(p=>{const i=document.createElement("img");i.src="api/file?path="+encodeURIComponent(p);i.title=p;im.appendChild(i)}));
 const fr=vis.find(r=>r.forward),fd=document.getElementById("forward");if(fr&&!fd.dataset.run){fd.dataset.run=fr.name;forward(fr.name,0)}}
async function forward(run,row){const res=await fetch("api/forward?run="+encodeURIComponent(run),{method:"POST",body:JSON.stringify({row:row})});const ex=await res.json();
 const fd=document.getElementById("forward");fd.innerHTML="";if(ex.error){fd.textContent=ex.error;return}
 (ex.layers||[]).forEach(l=>{const d=document.createElement("div");d.className="layer";d.append(l.name+" ("+l.class+(l.activation?", "+l.activation:"")+"): ");
  (l.neurons||[]).slice(0,64).forEach(n=>{const s=document.createElement("span");s.className="neuron";s.textContent=n.name+"="+(+n.output).toPrecision(4);s.onclick=()=>showNeuron(l,n);d.appendChild(s)});fd.appendChild(d)});
 const o=document.createElement("div");o.id="forward-output";o.textContent="output: "+ex.output.values.map(v=>(+v).toFixed(4)).join(", ");fd.appendChild(o)}
function showNeuron(l,n){let t=n.name+": ";if(n.weights){t+="z = "+n.weights.map((w,i)=>w+"·"+n.inputs[i]).join(" + ")+" + "+n.bias+" = "+n.z}else if(n.input!==undefined){t+="input "+n.input}
 t+="; "+(n.activation||l.activation||"")+" → "+n.output;document.getElementById("neuron").textContent=t}
async function load(){runs=await (await fetch("api/runs")).json();render()}
load();const es=new EventSource("api/events");
es.onmessage=ev=>{const m=JSON.parse(ev.data);const r=runs.find(x=>x.name===m.run);
 if(m.type==="batch"&&r&&r.batches.length===m.from){r.batches.push(...m.points);r.progress=m.progress;render()}else load()};
