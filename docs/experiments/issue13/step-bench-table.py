import collections, statistics, math
d=collections.defaultdict(lambda: collections.defaultdict(lambda: {'real':[], 'cpu':[]}))
for line in open('/tmp/ab.tsv'):
    r,name,t,c=line.split('\t'); d[name][r]['real'].append(float(t)); d[name][r]['cpu'].append(float(c))
print(f"{'benchmark (ms per step)':46s} {'A med':>7s} {'B med':>7s} {'B/A':>6s} | {'A min':>7s} {'B min':>7s} {'B/A':>6s} | {'cpu A med':>9s} {'cpu B med':>9s} {'B/A':>6s}  n")
g=[]
for k,v in d.items():
    a,b=v['A'],v['B']
    ma,mb=statistics.median(a['real']),statistics.median(b['real'])
    ca,cb=statistics.median(a['cpu']),statistics.median(b['cpu'])
    if 'TrainStep/' in k and 'ResNet' not in k: g.append(mb/ma)
    print(f"{k:46s} {ma:7.2f} {mb:7.2f} {mb/ma:6.3f} | {min(a['real']):7.2f} {min(b['real']):7.2f} {min(b['real'])/min(a['real']):6.3f} | {ca:9.2f} {cb:9.2f} {cb/ca:6.3f}  {len(a['real'])}")
print("geometric mean of the MLP medians' ratio:", round(math.exp(sum(map(math.log,g))/len(g)),3))
